/**
 * Public types of data verification (PRODUCT.md, "Data verification"). Every
 * result is plain data: it survives JSON.stringify / JSON.parse unchanged.
 */
import type { RedisEndpoint } from '../endpoint';
import type { EntryFilter, FilterOptions } from '../filter';

/**
 * - `full`: type, value and expiry of every key (the default).
 * - `length`: type, expiry and value length (bytes of a string, elements of a collection).
 * - `keys`: key existence only.
 * - `full-length-above`: like `full`, but keys longer than `bigKeyThreshold`
 *   (elements, or bytes for strings) are compared by length only.
 */
export type VerifyMode = 'full' | 'length' | 'keys' | 'full-length-above';
export const VERIFY_MODES: readonly VerifyMode[] = ['full', 'length', 'keys', 'full-length-above'];

export const CONFLICT_KINDS = ['lack_target', 'lack_source', 'type', 'value', 'ttl'] as const;
/**
 * - `lack_target`: the key exists on the source only.
 * - `lack_source`: the key exists on the destination only (in a DB the task writes).
 * - `type`: both have the key with different types.
 * - `value`: same type, different value (or length, or stream consumer groups).
 * - `ttl`: the absolute expiry differs by more than the tolerance (after the TTL extension is taken off).
 */
export type ConflictKind = (typeof CONFLICT_KINDS)[number];
export type ConflictCounts = Record<ConflictKind, number>;

export function emptyCounts(): ConflictCounts {
  return { lack_target: 0, lack_source: 0, type: 0, value: 0, ttl: 0 };
}

/** One difference of one key. */
export interface Conflict {
  /** Source DB. */
  db: number;
  /** Destination DB (the source DB after the task's DB mapping). */
  targetDb: number;
  /** The key, printable (binary bytes as \xNN). */
  key: string;
  kind: ConflictKind;
  /** Type on the source (on the destination for lack_source). */
  keyType?: string;
  /**
   * Where the values differ: the hash field, the set or sorted-set member, `[index]` of a
   * list element, a stream entry id, `group <name> …` for a stream consumer group,
   * `(length)`, `offset N` in a big string, `(last-generated-id)` and the like for stream metadata.
   */
  field?: string;
  /** Further differing fields found in the same key (at most 9). */
  moreFields?: string[];
  /** What the source holds there (shortened); `(missing)` when it has nothing. */
  source?: string;
  /** What the destination holds there (shortened). */
  target?: string;
}

export interface DbRoundResult {
  db: number;
  targetDb: number;
  keysChecked: number;
  conflicts: number;
  counts: ConflictCounts;
  /** At most `sampleSize` (100) conflicts, in the order found. */
  sample: Conflict[];
  /**
   * Keys that changed while they were read (gone, shortened, retyped, expired
   * between two reads), so were compared again instead of being reported.
   * Absent in results stored before it existed.
   */
  changedWhileRead?: number;
}

export interface RoundResult {
  round: number;
  /** `all`: every key was compared; `recheck`: only the keys that differed in the round before. */
  scope: 'all' | 'recheck';
  startedAt: string;
  durationMs: number;
  keysChecked: number;
  conflicts: number;
  counts: ConflictCounts;
  dbs: DbRoundResult[];
  /**
   * More keys differed than the verifier keeps for a recheck (`maxRecheckKeys`):
   * the next round compares every key again instead of only those.
   */
  recheckOverflow: boolean;
  /**
   * Keys that changed while they were read, summed over the DBs: compared again
   * at once, and left to the next round if they were still changing (in the
   * last round, such a key is a `value` conflict with field `(changed while verifying)`).
   * Not counted in `conflicts`. Absent in results stored before it existed.
   */
  changedWhileRead?: number;
}

export interface SideInfo {
  role: 'source' | 'destination';
  address: string;
  cluster: boolean;
  /** Masters scanned (one for a standalone server). */
  nodes: string[];
  version: string;
  /** DEBUG DIGEST-VALUE answers on every node. */
  debugDigest: boolean;
}

export interface VerifySettings {
  mode: VerifyMode;
  rounds: number;
  intervalMs: number;
  rateLimit: number | null;
  bigKeyThreshold: number;
  ttlExtendSeconds: number;
  ttlToleranceMs: number;
  /** DEBUG DIGEST-VALUE was used as the fast equality path. */
  digest: boolean;
}

export interface VerifyResult {
  /** The last round found no difference. */
  equal: boolean;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  settings: VerifySettings;
  source: SideInfo;
  target: SideInfo;
  rounds: RoundResult[];
  /** The last round (the verdict): counts and samples per DB. */
  final: RoundResult;
}

export interface VerifyProgress {
  round: number;
  phase: 'source' | 'target' | 'recheck';
  db: number;
  /** Keys checked so far in this round. */
  keysChecked: number;
  /** Estimate of the keys this round checks (DBSIZE of the selected DBs in round 1). */
  keysTotal: number;
  conflicts: number;
}

export interface CompareOptions {
  mode?: VerifyMode;
  /** Elements (bytes for strings) above which `full-length-above` compares length only. Default 16384. */
  bigKeyThreshold?: number;
  /** Seconds the task added to every expiry written to the destination. Default 0. */
  ttlExtendSeconds?: number;
  /** Expiry differences up to this many ms are equal. Default 1000. */
  ttlToleranceMs?: number;
  /** Use DEBUG DIGEST-VALUE when every node on both sides allows it. Default true. */
  useDigest?: boolean;
  /** Keys per pipelined batch. Default 256. */
  batchSize?: number;
  /** Keys (and chunks of big keys) per second; 0 or undefined: no limit. */
  rateLimit?: number;
}

export interface VerifierOptions extends CompareOptions {
  source: RedisEndpoint;
  target: RedisEndpoint;
  /** The task's DBs, DB mapping and key prefixes. */
  filter?: FilterOptions | EntryFilter;
  /** Default 3. */
  rounds?: number;
  /** Pause before each round after the first. Default 5000 ms. */
  intervalMs?: number;
  /** Conflicts kept per DB per round. Default 100. */
  sampleSize?: number;
  /** Differing keys remembered for the next round; beyond, the next round compares everything. Default 1,000,000. */
  maxRecheckKeys?: number;
  connectTimeoutMs?: number;
  signal?: AbortSignal;
  onProgress?: (p: VerifyProgress) => void;
  /** Called after each round (awaited: a caller may persist the round). */
  onRound?: (r: RoundResult) => void | Promise<void>;
}
