/**
 * The seam between a task's source side and its destination side, as
 * RedisShake splits readers from writers. A SourceReader reads one kind of
 * source — a master's replication session (replication.ts), an RDB file
 * (rdb-file.ts), and next the scan of a source that refuses replication — and
 * drives the SyncPipeline: the destination side of the task (SyncTask), which
 * owns the writer, the task's record on the destination, the filter, the
 * snapshot loader, the stream applier, pause, limits and progress.
 */
import type { EntryFilter } from '../../filter';
import type { RdbEvent } from '../../rdb/types';
import type { DestinationWriter, StreamPosition } from '../../writer/types';
import type { StreamCommand } from '../stream-applier';
import type { ResumePosition, SyncLogLevel, SyncOptions, SyncProgress, SyncStage, SyncType } from '../types';

export interface SourceReader {
  /** Reads the source into the pipeline until it is done, ended by stop(), or fails (throws). */
  run(): Promise<void>;
  /** End: stop reading; run() then returns once what was read is written. */
  stop(): Promise<void>;
  /** The destination side failed: stop waiting on the source at once (run() then throws the writer's error). */
  interrupt(): void;
  /** The synchronization delay this reader measures (ms), or null when unknown. */
  delayMs(): number | null;
  /** Releases what the reader holds (links, the heartbeat key); after run() settled. */
  close(): Promise<void>;
}

/** A stream's context for the applier: what the source is, and the heartbeat that travels in it. */
export interface StreamContext {
  /** The source's `databases` setting (for FLUSHALL). */
  sourceDatabases: number;
  heartbeatKey: string;
  onHeartbeat: (sentAtMs: number) => void;
}

/** A snapshot as a reader hands it over. */
export interface Snapshot {
  chunks: AsyncIterable<Buffer>;
  /** Its size in bytes once known (a diskless transfer never says). */
  size: () => number | null;
  /** The source position it stands for (no replid after a plain SYNC). */
  replid: string | null;
  offset: number;
  /**
   * Keys the reader hands over as parser events after the RDB stream (the scan reader's big
   * keys, read in windows): written by the same loader, in batches, before the load ends.
   */
  after?: () => AsyncIterable<RdbEvent>;
  /** The stream ends in a zero checksum (the scan reader's): its CRC-64 is not computed. */
  noChecksum?: boolean;
}

/** What a reader drives (implemented by SyncTask). */
export interface SyncPipeline {
  readonly options: SyncOptions;
  readonly filter: EntryFilter;
  /** The current writer (replaced after the destination lost acknowledged writes: reopenWriter). */
  readonly writer: DestinationWriter;
  /** A cluster source's shard: the slots it holds (undefined for a standalone source). */
  readonly slots: readonly [number, number][] | undefined;
  /** The task's progress; readers fill in what they know (replid, offsets, counters, totals). */
  readonly state: SyncProgress;
  /** End was asked for. */
  readonly stopping: boolean;
  /** Pause was asked for (the stream starts Paused). */
  readonly paused: boolean;
  log(level: SyncLogLevel, message: string): void;
  setStage(stage: SyncStage): void;
  /**
   * Where reading starts: the position the destination's record names (or, without one,
   * the saved checkpoint); undefined for a full migration. Settles whether the task owns
   * its destination DBs (the existence check, when it has not run before).
   */
  startingPoint(type: SyncType): Promise<ResumePosition | undefined>;
  /** The existence check of Precheck And Block (a restore from a file, which keeps no record). */
  checkDestinationEmpty(): Promise<void>;
  /**
   * A snapshot, written (or, incremental only, read for its position): an earlier load of
   * this task is cleared first where it owns the DBs, and the record says a load is under way.
   * Returns the DB the stream starts in.
   */
  fullMigration(snapshot: Snapshot, type: SyncType): Promise<number>;
  /** An RDB file's snapshot, written whole. */
  restoreSnapshot(chunks: AsyncIterable<Buffer>, size: number): Promise<void>;
  /** Applies a stream from `start` until it ends (stop) or fails (thrown). */
  applyStream(batches: AsyncIterable<StreamCommand[]>, start: StreamPosition, context: StreamContext): Promise<void>;
  /**
   * Where the stream must resume after a break: after the last command handled, before a
   * transaction whose EXEC had not arrived. Undefined before any stream was applied.
   */
  readonly streamResumePoint: StreamPosition | undefined;
  /** Writes what was read, then resolves (the end of a reader's run). */
  flush(): Promise<void>;
  /** Writes what was read, then deletes the task's record on the destination (a full-only task has nothing to resume). */
  forgetRecord(): Promise<void>;
  /** After the destination lost acknowledged writes: a new writer, and the position its record still holds. */
  reopenWriter(): Promise<ResumePosition | undefined>;
}
