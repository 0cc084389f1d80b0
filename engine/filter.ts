/**
 * Which data a task carries: DB selection and mapping, key prefixes to include or
 * exclude, and the engine's own keys (the heartbeat on the source, the task's
 * record on the destination) that are never copied, compared or counted.
 */
import { DtsError } from './errors';
import { commandKeys, commandName, keyedCommand, type KeyedCommand } from './commands/table';

export const HEARTBEAT_PREFIX = 'DTS_REDIS_TIMESTAMP_HEARTBEAT';
const HEARTBEAT = Buffer.from(HEARTBEAT_PREFIX);
/** The task's record on the destination (engine/sync/destination-record.ts). */
export const CHECKPOINT_PREFIX = 'DTS_REDIS_CHECKPOINT';
const CHECKPOINT = Buffer.from(CHECKPOINT_PREFIX);

/** Whether a key is one of the engine's own (heartbeat or record), never user data. */
export function isEngineKey(key: Buffer): boolean {
  return startsWithAt(key, 0, key.length, HEARTBEAT) || startsWithAt(key, 0, key.length, CHECKPOINT);
}

export interface FilterOptions {
  /** Source DBs to synchronize; undefined means every DB. */
  dbs?: readonly number[];
  /** Source DB → destination DB; a DB not listed keeps its number. */
  dbMap?: ReadonlyMap<number, number>;
  /** Only keys starting with one of these (empty or undefined: every key). */
  includePrefixes?: readonly string[];
  /** Keys starting with one of these are left out. */
  excludePrefixes?: readonly string[];
}

export class FilterError extends DtsError {}

/** Commands that act on each key independently, so they can be cut down to the keys a task carries. */
const PER_KEY = new Set(['DEL', 'UNLINK', 'TOUCH', 'PFCOUNT', 'MSET', 'MSETNX']);

export class EntryFilter {
  private readonly dbs?: Set<number>;
  private readonly include: Buffer[];
  private readonly exclude: Buffer[];

  constructor(private readonly opts: FilterOptions = {}) {
    this.dbs = opts.dbs ? new Set(opts.dbs) : undefined;
    this.include = (opts.includePrefixes ?? []).filter((p) => p.length > 0).map((p) => Buffer.from(p));
    this.exclude = (opts.excludePrefixes ?? []).filter((p) => p.length > 0).map((p) => Buffer.from(p));
  }

  acceptsDb(db: number): boolean {
    return this.dbs ? this.dbs.has(db) : true;
  }

  /** The destination DB for a source DB. */
  mapDb(db: number): number {
    return this.opts.dbMap?.get(db) ?? db;
  }

  /** The selected source DBs, or undefined for all. */
  selectedDbs(): number[] | undefined {
    return this.dbs ? [...this.dbs].sort((a, b) => a - b) : undefined;
  }

  /**
   * The destination DBs a FLUSHALL on the source must empty (PRODUCT.md: every mapped
   * destination DB and nothing else), or undefined when that is every DB, so a plain
   * FLUSHALL is exact: all source DBs carried, none moved elsewhere.
   */
  flushAllTargets(sourceDatabases: number): number[] | undefined {
    const moved = [...(this.opts.dbMap ?? new Map<number, number>())].some(([from, to]) => from !== to);
    if (!this.dbs && !moved) return undefined;
    const from = this.dbs ? [...this.dbs] : Array.from({ length: sourceDatabases }, (_, i) => i);
    return [...new Set(from.map((db) => this.mapDb(db)))].sort((a, b) => a - b);
  }

  /** Whether the task carries every key of the DBs it selects (no prefix filter). */
  get carriesWholeDbs(): boolean {
    return this.include.length === 0 && this.exclude.length === 0;
  }

  acceptsKey(key: Buffer): boolean {
    return this.acceptsKeyAt(key, 0, key.length);
  }

  /** `acceptsKey` for the key buf[start, start+len), without a Buffer for it. */
  acceptsKeyAt(buf: Buffer, start: number, len: number): boolean {
    if (startsWithAt(buf, start, len, HEARTBEAT) || startsWithAt(buf, start, len, CHECKPOINT)) return false;
    if (this.include.length > 0 && !anyPrefix(buf, start, len, this.include)) return false;
    return !anyPrefix(buf, start, len, this.exclude);
  }

  /**
   * Decide a keyed or global command from a selected DB. Commands touching keys on
   * both sides of the prefix filter are cut down where that keeps their meaning,
   * and otherwise fail: the destination could not follow them exactly. Returns the
   * command to write (`cmd` itself, or cut down) or undefined to leave it out.
   */
  filterCommand(cmd: KeyedCommand): KeyedCommand | undefined {
    const { info, argv, keys: positions } = cmd;
    if (info.kind === 'drop') return undefined;
    if (info.kind === 'global') return cmd;
    let accepted = 0;
    for (const i of positions) if (this.acceptsKey(argv[i])) accepted++;
    if (accepted === positions.length) return cmd;
    if (accepted === 0) return undefined;

    const name = commandName(argv);
    if (PER_KEY.has(name)) {
      // MSET/MSETNX keys are followed by their values; the others are plain key lists.
      const step = name.startsWith('MSET') ? 2 : 1;
      const out = [name.startsWith('MSET') ? Buffer.from('MSET') : argv[0]];
      for (const pos of positions) if (this.acceptsKey(argv[pos])) out.push(...argv.slice(pos, pos + step));
      return keyedCommand(info, out);
    }
    const keys = commandKeys(info, argv).map((k) => k.toString('utf8'));
    throw new FilterError(
      'CROSS_FILTER_COMMAND',
      `${name} touches keys inside and outside the task's key filter (${keys.join(', ')}); the destination cannot follow it exactly`,
      'widen the key prefix filter so that keys used together are synchronized together',
    );
  }
}

function anyPrefix(buf: Buffer, start: number, len: number, prefixes: readonly Buffer[]): boolean {
  for (const p of prefixes) if (startsWithAt(buf, start, len, p)) return true;
  return false;
}

/** Whether buf[start, start+len) starts with `prefix` (a byte loop: keys and prefixes are short). */
function startsWithAt(buf: Buffer, start: number, len: number, prefix: Buffer): boolean {
  if (len < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (buf[start + i] !== prefix[i]) return false;
  return true;
}
