/**
 * The sync engine's public vocabulary: what a caller (the console's engine
 * manager, the CLI, a worker) gives a task, what it reports back, and the runner
 * it drives. The per-shard plumbing of a cluster source lives with SyncTask
 * (ShardPlumbing), the test hooks in EngineTestHooks.
 */
import type { EventEmitter } from 'node:events';
import type { RedisEndpoint } from '../endpoint';
import type { FilterOptions } from '../filter';
import type { StreamPosition } from '../writer/types';

export const SYNC_TYPES = ['full+incremental', 'full', 'incremental'] as const;
/** What a task synchronizes: the snapshot, the stream, or both (the product's "Synchronization Types"). */
export type SyncType = (typeof SYNC_TYPES)[number];

export const READ_METHODS = ['replication', 'scan'] as const;
/**
 * How a task reads its source (the product's "Read Method"): `replication` — PSYNC, the
 * snapshot then the stream, resumable from an offset; `scan` — SCAN + DUMP and keyspace
 * notifications, for sources that refuse PSYNC/SYNC (managed services; docs/scan-mode.md).
 */
export type ReadMethod = (typeof READ_METHODS)[number];

export const CONFLICT_MODES = ['block', 'ignore'] as const;
/**
 * The product's "Processing Mode of Conflicting Tables": Precheck And Block (`block`: the
 * precheck fails when the destination holds keys the task carries) or Ignore Errors And
 * Continue Execution (`ignore`). What the engine then does is an ExistingKeyPolicy.
 */
export type ConflictMode = (typeof CONFLICT_MODES)[number];

/**
 * What the engine does with keys the destination already holds: `block` stops before anything
 * is written when a selected destination DB holds keys the task carries (the Destination Object
 * Data Existence Check); `overwrite` replaces same-name keys. The product's "Processing Mode of
 * Conflicting Tables" (Precheck And Block / Ignore Errors And Continue) maps onto it.
 */
export type ExistingKeyPolicy = 'block' | 'overwrite';

/** A stage's throttle: commands (keys for batched writes) and bytes per second; 0 or absent = unlimited. */
export interface Throttle {
  rps?: number;
  bytesPerSecond?: number;
}

export interface StageThrottles {
  full?: Throttle;
  incremental?: Throttle;
}

/** A source position to continue from: PSYNC <replid> <offset+1>, the stream in source DB `db` there. */
export interface ResumePosition {
  replid: string;
  offset: number;
  db: number;
}

/** Knobs only tests turn. */
export interface EngineTestHooks {
  /** Master silence after which the replica link is declared dead (default 60 s). */
  linkTimeoutMs?: number;
  /** Destination silence (commands unanswered) after which its connection is declared dead (default 60 s). */
  replyTimeoutMs?: number;
  /** Values encoded bigger than this are written in batches through a temporary key (default 8 MiB). */
  bigKeyThreshold?: number;
  /** Scan mode's knobs (readers/scan.ts). */
  scan?: ScanTuning;
}

/** Scan mode's knobs, each with a default fit for production. */
export interface ScanTuning {
  /** Connections reading keys (default 4). */
  connections?: number;
  /** Changed keys waiting at most before the queue overflows into a re-scan (default 500,000). */
  maxQueuedKeys?: number;
  /** How often INFO commandstats is read for FLUSHDB / FLUSHALL / SWAPDB (default 1 s). */
  flushWatchMs?: number;
  /** The notification subscriber's PING interval (default 5 s). */
  pingMs?: number;
}

export const WRITE_METHODS = ['commands', 'relay'] as const;
/** The product's write method: Commands (as a client) or Replication relay. */
export type WriteMethod = (typeof WRITE_METHODS)[number];

export interface RelayListen {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default: any free port. */
  port?: number;
  /** The host the destination connects to (REPLICAOF); default `host`. */
  announceHost?: string;
  /**
   * Listen with TLS (PEM certificate and key): the destination replicates over TLS (`tls-replication yes`,
   * trusting the certificate with its own `tls-ca-cert-file`).
   */
  tls?: { cert: string; key: string };
}

/**
 * What a cluster task decides once, before any shard writes (cluster-sync.ts planClusterTask): its shards,
 * how many of them the destination already holds a record of, and whether the destination was found empty.
 */
export interface ClusterPlan {
  shards: string[];
  recorded: number;
  owned: boolean;
}

export interface SyncOptions {
  /** Names the heartbeat key, the task's record on the destination and the spool folder. */
  taskId: string;
  /** Required unless `rdbFile` is given. */
  source?: RedisEndpoint;
  target: RedisEndpoint;
  type?: SyncType;
  /** How the source is read (default `replication`). */
  read?: ReadMethod;
  filter?: FilterOptions;
  conflict?: ExistingKeyPolicy;
  /** Commands per second on the destination (the link spec); 0 = unlimited. */
  rps?: number;
  /** Throttling by stage (full migration, incremental synchronization), on top of `rps`. */
  throttle?: StageThrottles;
  ttlExtendSeconds?: number;
  /** How long a broken link (either side) is retried before the task fails. */
  connectionRetryMs?: number;
  /** How long other transient problems (LOADING, BUSY, …) are retried. */
  otherRetryMs?: number;
  /**
   * Where the replica link spools the stream while the destination is slow or the task is paused. Unset
   * (the CLI): a private folder made by mkdtemp for the run, removed at its end.
   */
  spoolDir?: string;
  /**
   * The lock file that keeps a second engine of this task on this host waiting (task-lock.ts); default
   * `<spoolDir>.lock`. The CLI puts it beside its --checkpoint-file, the one name two runs share.
   */
  lockFile?: string;
  /** Continue from a checkpoint (after a restart) when the destination holds no record of the task. */
  resume?: ResumePosition;
  /** Cluster source: checkpoints per shard name (`slots a-b`), after a restart. */
  resumeShards?: Record<string, ResumePosition>;
  /** Restore this RDB file into the target instead of reading a source. */
  rdbFile?: string;
  /** The source is a Redis Cluster: one link per master (undefined: ask it, INFO cluster). See createSyncRunner. */
  sourceCluster?: boolean;
  /**
   * Cluster source: run only these shards (by name, `slots a-b`), with the decisions made once for the
   * whole task by planClusterTask — a worker's share of a task whose shards run on several workers.
   */
  clusterShards?: { names: string[]; plan: ClusterPlan };
  /** Cluster source: read each shard from one of its replicas (the product's "Use Slave Node"). */
  useReplicas?: boolean;
  /** The destination is a Redis Cluster (undefined: ask it, INFO cluster). */
  targetCluster?: boolean;
  /**
   * How the destination is written: `commands` (the default: the engine writes as a client) or `relay`
   * (the destination replicates the source through the engine, engine/relay/; issue 20).
   */
  writeMethod?: WriteMethod;
  /** Relay: where the engine listens for the destination, and the address the destination is told. */
  relay?: RelayListen;
  /** Each source key the stream writes (see StreamApplierOptions.onKeyWritten). */
  onKeyWritten?: (db: number, key: Buffer) => void;
  hooks?: EngineTestHooks;
}

export type SyncStage =
  | 'connecting' | 'waiting-snapshot' | 'full' | 'incremental' | 'paused' | 'retrying' | 'completed' | 'ended' | 'failed';

export interface SyncProgress {
  stage: SyncStage;
  /** Keys written (or skipped as expired) during the current full migration. */
  keysDone: number;
  /** Keys the snapshot holds in the selected DBs, when known. */
  keysTotal: number;
  rdbBytesDone: number;
  rdbBytesTotal: number | null;
  /** 0–100, for the Full Data Migration progress bar. */
  fullPercent: number;
  replid: string | null;
  /** Last offset received from the source stream. */
  receivedOffset: number;
  /** The checkpoint: last source offset the destination acknowledged. */
  checkpoint: StreamPosition | null;
  /**
   * Synchronization delay in ms from the heartbeat key (Heartbeat/DelayGauge; docs/monitoring.md):
   * the newest heartbeat's age when it came through the stream, or, when none came for
   * longer than the beat interval + margin, its age now. Null = unknown.
   */
  delayMs: number | null;
  /** Destination commands per second over the last interval. */
  rps: number;
  /** Bytes per second read from the source (the snapshot, then the replication stream) over the last interval. */
  bytesPerSecond: number;
  commandsApplied: number;
  /** Bytes read from the source so far in this run (the snapshot, then the replication stream). */
  bytesRead: number;
  /** Destination failures that made the writer reconnect, and its reconnection attempts (this run). */
  destinationErrors: number;
  destinationRetries: number;
  fullSyncs: number;
  partialResyncs: number;
  /** Keys the destination evicted since the task started (INFO stats evicted_keys, every master; EvictionWatch). */
  evictedKeys: number;
  /** Cluster source: each shard's own position. */
  shards?: ShardProgress[];
}

export interface ShardProgress {
  name: string;
  stage: SyncStage;
  replid: string | null;
  receivedOffset: number;
  checkpoint: StreamPosition | null;
  delayMs: number | null;
  commandsApplied: number;
  bytesRead: number;
  destinationErrors: number;
  destinationRetries: number;
}

/** Where one source shard's stream is applied up to, as saved for a restart. */
export interface ShardCheckpoint {
  shard: string;
  replid: string;
  offset: number;
  db: number;
}

export type SyncLogLevel = 'info' | 'warn' | 'error';

export interface SyncTaskEvents {
  progress: [SyncProgress];
  stage: [SyncStage];
  log: [SyncLogLevel, string];
  checkpoint: [ShardCheckpoint];
  /** Destination keys (DB, key as latin1) that may differ after a broken destination connection (at-least-once writes). */
  suspect: [{ db: number; key: string }[]];
}

/** What the console and the CLI drive: a single-source task or a cluster of them. */
export interface SyncRunner extends EventEmitter<SyncTaskEvents> {
  run(): Promise<void>;
  stop(): Promise<void>;
  /** Resolves once the task writes nothing more until resume(). */
  pause(): Promise<void>;
  resume(): void;
  /** New rate limits while running (applied at once, per stage). */
  setLimits(limits: Pick<SyncOptions, 'rps' | 'throttle'>): void;
  readonly progress: SyncProgress;
}
