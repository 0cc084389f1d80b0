/**
 * What scan mode needs of the source's settings, read the same way by the reader and
 * the precheck: notify-keyspace-events carrying key events of every class, and the
 * counts of the commands that change keys without an event (INFO commandstats).
 */
import { RespErrorReply, type RespArg, type RespValue } from '../../../resp';

/** The classes of `A` (g $ l s h z x e t d): every key event a write, an expiry or an eviction makes. */
const CLASSES = 'g$lshzxetd';

export type NotifyCheck =
  | { state: 'ok'; current: string }
  | { state: 'missing'; current: string; wanted: string }
  | { state: 'unknown'; reason: string };

/** Whether `flags` (as CONFIG GET returns them) publish key events (E) of every class. */
export function notifyFlagsSuffice(flags: string): boolean {
  if (!flags.includes('E')) return false;
  return flags.includes('A') || [...CLASSES].every((c) => flags.includes(c));
}

/** The flags with what scan mode needs added (E and A), the others kept. */
export function notifyFlagsWanted(flags: string): string {
  let out = flags;
  for (const c of 'EA') if (!out.includes(c)) out += c;
  return out;
}

export async function checkNotifySetting(client: { call(argv: RespArg[]): Promise<RespValue> }): Promise<NotifyCheck> {
  const reply = await client.call(['CONFIG', 'GET', 'notify-keyspace-events']);
  if (reply instanceof RespErrorReply) return { state: 'unknown', reason: `CONFIG GET refused: ${reply.message}` };
  if (!Array.isArray(reply) || reply[1] === undefined) return { state: 'unknown', reason: 'CONFIG GET returned no value' };
  const current = String(reply[1]);
  return notifyFlagsSuffice(current) ? { state: 'ok', current } : { state: 'missing', current, wanted: notifyFlagsWanted(current) };
}

export interface FlushCounts {
  flushdb: number;
  flushall: number;
  swapdb: number;
}

/** The calls of FLUSHDB, FLUSHALL and SWAPDB in INFO commandstats (0 for one never called). */
export function parseFlushCounts(info: string): FlushCounts {
  const calls = (name: string): number => Number(new RegExp(`^cmdstat_${name}:calls=(\\d+)`, 'm').exec(info)?.[1] ?? 0);
  return { flushdb: calls('flushdb'), flushall: calls('flushall'), swapdb: calls('swapdb') };
}
