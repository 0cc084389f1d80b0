/**
 * The writers' vocabulary, shared by the standalone and the cluster writer and
 * by everything that writes through them (the snapshot's key writer, the
 * stream applier, the sync task).
 */
import type { RespArg } from '../resp';
import type { DestinationCapabilities } from './capabilities';

/** A point in the source's replication stream: the offset and the source DB selected there. */
export interface StreamPosition {
  offset: number;
  db: number;
}

export interface WriterOptions {
  /** Max commands per second (the link spec); 0 = unlimited. */
  rps?: number;
  /** Max bytes of commands per second; 0 = unlimited. */
  bytesPerSecond?: number;
  /** How long to keep retrying a broken or unreachable destination. */
  connectionRetryMs?: number;
  /** How long to keep retrying transient error replies (LOADING, BUSY, TRYAGAIN, …). */
  otherRetryMs?: number;
  maxInFlight?: number;
  maxInFlightBytes?: number;
  /** Commands unanswered this long mean a dead connection (a silent partition): it is reopened. */
  replyTimeoutMs?: number;
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
  /**
   * After a broken connection, the keys of commands sent again that the destination may
   * already have run and that do not give the same result twice (see `replaySafe`): they
   * may now differ from the source and should be verified. `db` is the destination DB.
   * Never called for writes made in units (see `beginUnits`): those are exactly once.
   */
  onReplayed?: (keys: { db: number; key: Buffer }[]) => void;
}

export interface WriterStats {
  commands: number;
  bytes: number;
  /** Destination failures that made the writer reconnect (a broken connection, a transient error reply). */
  errors: number;
  /** Reconnection attempts after them. */
  retries: number;
}

/**
 * Where a writer in units keeps the applied position: a key in the destination,
 * set in the same MULTI/EXEC as the writes of each unit. `value` words the
 * position; the writer appends a tag naming the unit, so after a broken
 * connection it can tell which of its unanswered units the destination ran.
 */
export interface UnitRecord {
  db: number;
  key: Buffer;
  value: (mark: StreamPosition) => string;
}

/** Where commands go: a standalone or cluster writer. */
export interface CommandSink {
  selectDb(db: number): void;
  /**
   * `records`: how many keys or elements the command carries, for the rate limit (the link spec's RPS).
   * `slot`: the hash slot all its keys are in, when the caller knows it — a cluster writer then
   * routes by it without reading the keys (which may be pre-encoded).
   */
  write(argv: RespArg[], mark?: StreamPosition, records?: number, slot?: number): Promise<void> | undefined;
  readonly destination: DestinationCapabilities;
}

/** What the sync pipeline needs from a destination writer, standalone or cluster. */
export interface DestinationWriter extends CommandSink {
  open(): Promise<DestinationCapabilities>;
  /** The source stream reached `mark` with nothing to write there (a dropped command). */
  advance(mark: StreamPosition): void;
  /** Resolves once everything written is acknowledged (an open unit is committed first); throws the error that stops the task. */
  flush(): Promise<void>;
  /** The furthest source position whose writes are all acknowledged. */
  readonly checkpoint: StreamPosition | undefined;
  /** The error that stopped the writer, if any. */
  readonly failed: Error | undefined;
  readonly stats: WriterStats;
  /** Number of destination masters for a cluster; undefined for a standalone destination. */
  readonly masters: number | undefined;
  /** The throttle from now on: commands (records) and bytes per second, 0 = unlimited. */
  setRate(rps: number, bytesPerSecond?: number): void;
  /** Reads one key of the destination (the task's record), after everything written so far. */
  readKey(db: number, key: Buffer): Promise<Buffer | null>;
  /** Sets (or, with null, deletes) one key of the destination, after everything written so far. */
  setKey(db: number, key: Buffer, value: string | null): Promise<void>;
  /**
   * From now on, writes go in units: MULTI, the writes, the record's SET, EXEC — so the
   * destination applies each unit whole or not at all, and the record says which. The
   * stream starts at `start` (the record is set to it at once). Returns false where the
   * writer cannot (its writes stay at least once). The writer must be flushed.
   */
  beginUnits(record: UnitRecord, start: StreamPosition): boolean;
  /** Back to plain writes (a snapshot follows); commits and flushes the open unit first. */
  endUnits(): Promise<void>;
  /** Closes the open unit, if any (the end of a batch of the stream); a promise when the caller must wait. */
  commitUnit(): Promise<void> | undefined;
  close(): void;
}
