/**
 * The task's record in the destination itself: one small string key per source
 * shard saying how far the destination has applied the source's stream, written
 * in the same MULTI/EXEC as the writes it covers (see StandaloneWriter's units).
 * Because it can never disagree with the data beside it, a resume after any
 * crash — the engine's, the console's, a broken destination connection, a
 * destination restarted from its own AOF — continues exactly where the data is:
 * nothing applied twice, nothing skipped.
 *
 * It also says whether a full migration was under way (`loading`: the data is a
 * partial snapshot and must be cleared before the next one) and whether the task
 * owns its destination DBs (they were empty when it started, so clearing them
 * deletes only what the task wrote).
 *
 * Value: `dts1 <phase> <owned 0|1> <replid|-> <offset> <db>`, then the writer's
 * unit tag. The key never reaches verification or key counts (EntryFilter leaves
 * out the prefix) and is deleted when the task is released.
 */
import { CHECKPOINT_PREFIX, type EntryFilter } from '../filter';

export type RecordPhase = 'loading' | 'stream';

export interface DestinationRecord {
  phase: RecordPhase;
  /** The destination DBs were empty when the task first wrote: clearing them deletes only the task's keys. */
  owned: boolean;
  replid: string | null;
  /** The source offset applied up to (stream phase); the snapshot's offset while loading, when known. */
  offset: number;
  /** The source DB selected at `offset`. */
  db: number;
}

/** The record key of a task (and of one shard of a cluster source). */
export function recordKeyFor(taskId: string, shardName?: string): string {
  const base = `${CHECKPOINT_PREFIX}_${taskId}`;
  return shardName ? `${base}_${shardName.replace(/[^A-Za-z0-9,-]+/g, '_')}` : base;
}

/** The prefix of every record key a task has (for Release). */
export function recordPatternFor(taskId: string): string {
  return `${CHECKPOINT_PREFIX}_${taskId}*`;
}

/**
 * The destination DB the record lives in: the lowest DB the task writes to, so the
 * record never lands in a DB the task does not otherwise touch.
 */
export function recordDbFor(filter: EntryFilter, cluster: boolean): number {
  if (cluster) return 0;
  const selected = filter.selectedDbs();
  return selected && selected.length > 0 ? Math.min(...selected.map((db) => filter.mapDb(db))) : filter.mapDb(0);
}

/** The record's value without the unit tag the writer appends. */
export function encodeRecord(r: DestinationRecord): string {
  return `dts1 ${r.phase} ${r.owned ? 1 : 0} ${r.replid ?? '-'} ${r.offset} ${r.db}`;
}

/** The record in a value read back, or null when the value is not one (another program's key). */
export function parseRecord(value: Buffer | string | null): DestinationRecord | null {
  if (value === null) return null;
  const parts = value.toString().split(' ');
  if (parts[0] !== 'dts1' || parts.length < 6) return null;
  const phase = parts[1];
  const offset = Number(parts[4]);
  const db = Number(parts[5]);
  if ((phase !== 'loading' && phase !== 'stream') || !Number.isSafeInteger(offset) || !Number.isInteger(db)) return null;
  return { phase, owned: parts[2] === '1', replid: parts[3] === '-' ? null : parts[3], offset, db };
}

/** The unit tag the writer appended to a record value (the last word), if any. */
export function unitTagOf(value: Buffer | string | null): string | undefined {
  if (value === null) return undefined;
  const text = value.toString();
  const sp = text.lastIndexOf(' ');
  return sp < 0 ? undefined : text.slice(sp + 1);
}
