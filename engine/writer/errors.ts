import { DtsError } from '../errors';
import { printable } from '../keys';
import { moduleInfo } from '../rdb/values/module';
import type { RespArg, RespErrorReply } from '../resp';
import { moduleOfType } from '../servers/facts';

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

/** A key of a module type the destination does not load (found before anything of it is written). */
export function moduleTypeError(key: Buffer, typeName: string, why = 'which the destination does not load'): WriterError {
  const module = moduleOfType(typeName);
  return new WriterError('MODULE_TYPE', `key "${printable(key)}" holds a value of module type ${typeName} (module "${module}"), ${why}`,
    `load the module "${module}" on the destination${module === 'vectorset' ? ' (vector sets are built into Redis 8.0 and newer)' : ''}, or leave this key out with a key filter`);
}

/** The module type of a RESTORE's DUMP payload of RDB type 7 (MODULE_2: a 64-bit module id after the type byte), if it is one. */
export function restoredModuleType(argv: readonly RespArg[]): string | undefined {
  const payload = argv[3];
  if (!Buffer.isBuffer(payload) || payload[0] !== 7 || payload[1] !== 0x81 || payload.length < 10) return undefined;
  return moduleInfo(payload.readBigUInt64BE(2)).name;
}

/**
 * The destination refused a write: what was refused, the reply, and what to do. `argv`, where
 * known, lets a RESTORE of a module value name its module (the destination answers only "Bad data format").
 */
export function rejectedWrite(address: string, command: string, key: Buffer | undefined, reply: RespErrorReply, argv?: readonly RespArg[]): WriterError {
  const on = key ? ` on key "${printable(key)}"` : '';
  const moduleType = key && argv && command.toUpperCase() === 'RESTORE' ? restoredModuleType(argv) : undefined;
  if (moduleType && key) return moduleTypeError(key, moduleType, `which the destination ${address} refused (${reply.message}): it does not load that module, or another version of it`);
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
