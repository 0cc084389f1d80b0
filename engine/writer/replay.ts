/**
 * Writes sent again after a broken connection, outside units (the snapshot, a
 * cluster destination): the destination may have run them already, their answers
 * lost with the connection. Both writers use these two rules: which error a
 * second run may meet because the first got through (so it is not a failure),
 * and which keys may now differ because running twice counts twice (so the task
 * reports them for verification).
 */
import { commandInfo, commandKeys, replaySafe } from '../commands/table';
import { argvBuffers, type RespArg, type RespErrorReply } from '../resp';

/**
 * An error that, for a command sent again after a broken connection, shows that its
 * first run got through: the stream id is already there, the group or key already
 * exists, the key was already renamed away.
 */
export function ranBefore(argv: RespArg[], reply: RespErrorReply): boolean {
  switch (commandNameOf(argv)) {
    case 'XADD': return /equal or smaller than the target stream top item/i.test(reply.message);
    case 'XGROUP': return reply.code === 'BUSYGROUP';
    case 'RESTORE': return reply.code === 'BUSYKEY';
    case 'RENAME': case 'RENAMENX': return /no such key/i.test(reply.message);
    default: return false;
  }
}

/** The keys of resent commands that may have run already and do not give the same result twice. */
export function unsafelyRepeatedKeys(resent: { argv: RespArg[]; db: number }[]): { db: number; key: Buffer }[] {
  const keys = new Map<string, { db: number; key: Buffer }>();
  for (const op of resent) {
    const argv = argvBuffers(op.argv);
    if (replaySafe(argv)) continue;
    const info = commandInfo(argv);
    const opKeys = info ? commandKeys(info, argv) : [];
    if (opKeys.length === 0) opKeys.push(Buffer.from(`(${commandNameOf(op.argv)} in DB ${op.db})`));
    for (const key of opKeys) keys.set(`${op.db}\u0000${key.toString('latin1')}`, { db: op.db, key });
  }
  return [...keys.values()];
}

export function commandNameOf(argv: RespArg[]): string {
  return String(Buffer.isBuffer(argv[0]) ? argv[0].toString('latin1') : argv[0]).toUpperCase();
}
