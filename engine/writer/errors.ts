import { DtsError } from '../errors';
import { printable } from '../keys';
import type { RespErrorReply } from '../resp';

/**
 * Reply errors that mean "not now" rather than "no": the server is loading, busy
 * with a script, or a cluster is reconfiguring. The writer retries them for the
 * task's retry time; every other error reply stops the task with the reply.
 */
const TRANSIENT = new Set(['LOADING', 'BUSY', 'TRYAGAIN', 'CLUSTERDOWN', 'MASTERDOWN', 'NOREPLICAS']);

export function isTransientReply(reply: RespErrorReply): boolean {
  return TRANSIENT.has(reply.code);
}

export class WriterError extends DtsError {}

/** The destination refused a write: what was refused, the reply, and what to do. */
export function rejectedWrite(address: string, command: string, key: Buffer | undefined, reply: RespErrorReply): WriterError {
  const on = key ? ` on key "${printable(key)}"` : '';
  if (reply.code === 'OOM') {
    return new WriterError('DESTINATION_OOM', `the destination ${address} is out of memory and refused ${command}${on}: ${reply.message}`,
      'raise maxmemory on the destination (at least 1.1 × the source\'s used memory) or free memory, then start the task again; nothing was dropped');
  }
  if (reply.code === 'NOPERM' || reply.code === 'NOAUTH') {
    return new WriterError('DESTINATION_NOPERM', `the destination ${address} refused ${command}${on}: ${reply.message}`,
      'the destination account needs write permission on every key and command the task replays');
  }
  if (/payload version or checksum/i.test(reply.message)) {
    return new WriterError('RESTORE_REFUSED', `the destination ${address} cannot load a value of key "${key ? printable(key) : '?'}" in the source's format: ${reply.message}`);
  }
  return new WriterError('WRITE_REJECTED', `the destination ${address} refused ${command}${on}: ${reply.message}`);
}

export { printable } from '../keys';
