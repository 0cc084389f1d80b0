/**
 * One synchronization task: the source's snapshot is written to the
 * destination (full migration), then its replication stream is replayed
 * (incremental) until the task is ended. Resumable: a broken source link
 * reconnects with PSYNC <replid> <offset+1> and continues on +CONTINUE; a
 * +FULLRESYNC runs the full migration again (overwriting same-name keys).
 *
 *   source ──ReplicaLink──► RdbParser ─► EntryFilter ─► KeyWriter ─┐
 *                      └──► commands ──► StreamApplier ────────────┴─► StandaloneWriter ─► destination
 */
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { endpointAddress, type RedisEndpoint } from '../endpoint';
import { describeError } from '../errors';
import { EntryFilter, type FilterOptions } from '../filter';
import { ControlClient } from '../net/socket';
import { parseRdbFile, RdbError } from '../rdb';
import { ReplicaLink, type SyncInfo } from '../replica/link';
import { LinkError } from '../replica/errors';
import { RespErrorReply } from '../resp';
import { unwritableKey } from '../writer/key-writer';
import { printable } from '../writer/errors';
import { createDestinationWriter, type DestinationWriter } from '../writer/destination';
import type { StreamPosition } from '../writer/types';
import { detectCluster } from '../cluster/topology';
import { SyncError } from './errors';
import { Heartbeat, heartbeatKeyFor } from './heartbeat';
import { checkDestinationEmpty, sampleDestinationKeys } from './conflict-check';
import { encodeRecord, parseRecord, recordDbFor, recordKeyFor, type DestinationRecord } from './destination-record';
import { clearTaskKeys } from './destination-reset';
import { EvictionWatch } from './eviction-watch';
import { RolledBackError } from '../writer/standalone-writer';
import { SnapshotLoader } from './snapshot-loader';
import { StreamApplier } from './stream-applier';
import { lockTask } from './task-lock';

export type SyncType = 'full' | 'incremental' | 'full+incremental';
export type ConflictMode = 'block' | 'overwrite';

/** A stage's throttle: commands (keys for batched writes) and bytes per second; 0 or absent = unlimited. */
export interface Throttle {
  rps?: number;
  bytesPerSecond?: number;
}

export interface StageThrottles {
  full?: Throttle;
  incremental?: Throttle;
}

/** The tighter of two rates, where 0 means unlimited. */
function tighter(a: number, b: number): number {
  if (!(a > 0)) return b > 0 ? b : 0;
  return b > 0 ? Math.min(a, b) : a;
}

export interface SyncOptions {
  /** Names the heartbeat key and spool folder. */
  taskId: string;
  /** Required unless `rdbFile` is given. */
  source?: RedisEndpoint;
  target: RedisEndpoint;
  type?: SyncType;
  filter?: FilterOptions;
  /** block: stop before writing when a selected destination DB holds keys. */
  conflict?: ConflictMode;
  /** Commands per second on the destination (the link spec); 0 = unlimited. */
  rps?: number;
  /** Throttling by stage (full migration, incremental synchronization), on top of `rps`. */
  throttle?: StageThrottles;
  ttlExtendSeconds?: number;
  /** How long a broken link (either side) is retried before the task fails. */
  connectionRetryMs?: number;
  /** How long other transient problems (LOADING, BUSY, …) are retried. */
  otherRetryMs?: number;
  /** Where the replica link spools the stream while the destination is slow or the task is paused. */
  spoolDir?: string;
  /** Continue from a checkpoint (after a restart): PSYNC <replid> <offset+1>. */
  resume?: { replid: string; offset: number; db: number };
  /** Restore this RDB file into the target instead of reading a source. */
  rdbFile?: string;
  /** Test hook: master silence after which the link is declared dead. */
  linkTimeoutMs?: number;
  /** Test hook: destination silence (commands unanswered) after which its connection is declared dead (default 60 s). */
  replyTimeoutMs?: number;
  /** The source is a Redis Cluster: one link per master (undefined: ask it, INFO cluster). See createSyncRunner. */
  sourceCluster?: boolean;
  /** Cluster source: read each shard from one of its replicas ("Use Slave Node"). */
  useReplicas?: boolean;
  /** Cluster source: checkpoints per shard name (`slots a-b`), after a restart. */
  resumeShards?: Record<string, { replid: string; offset: number; db: number }>;
  /** Each source key the stream writes (see StreamApplierOptions.onKeyWritten). */
  onKeyWritten?: (db: number, key: Buffer) => void;
  /** The destination is a Redis Cluster (undefined: ask it, INFO cluster). */
  targetCluster?: boolean;
  /**
   * Set by ClusterSyncTask for one shard of a cluster source: the shard's name in
   * checkpoints, where its heartbeat goes (the shard's master, when the link reads
   * a replica) and the heartbeat key (hash-tagged into the shard's slots).
   */
  shard?: { name: string; heartbeatTo: RedisEndpoint; heartbeatKey: string; slots: [number, number][] };
  /**
   * Set by ClusterSyncTask for its shards: whether the destination DBs are the task's own
   * (checked once for all shards before any writes). Undefined: this task checks itself.
   */
  destinationOwned?: boolean;
  /** Test hook: values encoded bigger than this are written in batches through a temporary key (default 8 MiB). */
  bigKeyThreshold?: number;
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
  /** Destination keys (DB, key as latin1) that may differ after a broken destination connection. */
  suspect: [{ db: number; key: string }[]];
}

export { SyncError };

const PROGRESS_INTERVAL_MS = 1000;
/** Times in one run the task reads the stream again because the destination lost acknowledged writes. */
const MAX_REWINDS = 5;
const RECONNECT_FIRST_MS = 100;
const FAILURE_FLUSH_MS = 10_000;
const RECONNECT_MAX_MS = 5000;

export class SyncTask extends EventEmitter<SyncTaskEvents> {
  private readonly filter: EntryFilter;
  private writer: DestinationWriter;
  private link?: ReplicaLink;
  private heartbeat?: Heartbeat;
  /** The destination's evictions (a cluster source's shards leave it to ClusterSyncTask, which watches once). */
  private evictions?: EvictionWatch;
  private stopping = false;
  private paused = false;
  private resumeWaiters: (() => void)[] = [];
  /** True while the incremental loop is applying a batch; pause() waits for it to park. */
  private applying = false;
  /** True while the incremental loop waits in park() for Start: a further pause() has nothing to wait for. */
  private parked = false;
  private parkWaiters: (() => void)[] = [];
  private readonly spoolDir: string;
  private timer?: NodeJS.Timeout;
  /** Applies the current link's stream; knows where a broken link must resume. */
  private applier?: StreamApplier;
  /** The source's `databases` setting (learnt at start). */
  private sourceDatabases = 16;
  /** The task's record on the destination: its key and DB (destination-record.ts). */
  private readonly recordKey: Buffer;
  private recordDb = 0;
  /** The destination DBs held none of the task's keys when it first wrote: clearing them deletes only its own. */
  private owned = false;
  /** A snapshot of this task may have been (partly) written already: the next one starts by clearing it. */
  private earlierLoad = false;
  /** Whether the stream is applied exactly once (in units with the record), or at least once. */
  private exactlyOnce = false;
  private modeLogged = false;
  private lastRate = { at: Date.now(), commands: 0, bytes: 0 };
  /** Bytes of the replication stream applied so far (for MB/s once the snapshot is done). */
  private streamBytes = 0;
  private readonly p: SyncProgress = {
    stage: 'connecting', keysDone: 0, keysTotal: 0, rdbBytesDone: 0, rdbBytesTotal: null, fullPercent: 0,
    replid: null, receivedOffset: 0, checkpoint: null, delayMs: null, rps: 0, bytesPerSecond: 0,
    commandsApplied: 0, fullSyncs: 0, partialResyncs: 0, evictedKeys: 0,
  };

  constructor(private opts: SyncOptions) {
    super();
    this.filter = new EntryFilter(opts.filter);
    this.writer = this.makeWriter(opts.targetCluster ?? false);
    this.spoolDir = opts.spoolDir ?? path.join(os.tmpdir(), 'redis-dts-spool', opts.taskId);
    this.recordKey = Buffer.from(recordKeyFor(opts.taskId, opts.shard?.name));
  }

  private makeWriter(cluster: boolean): DestinationWriter {
    return createDestinationWriter(this.opts.target, cluster, {
      rps: this.opts.rps,
      connectionRetryMs: this.opts.connectionRetryMs,
      otherRetryMs: this.opts.otherRetryMs,
      replyTimeoutMs: this.opts.replyTimeoutMs,
      log: (level, message) => this.log(level, message),
      onReplayed: (keys) => this.onReplayed(keys),
    });
  }

  /** The name checkpoints are kept under: the source's address (or the cluster shard's). */
  get shardName(): string {
    return this.opts.shard?.name ?? (this.opts.source ? endpointAddress(this.opts.source) : 'rdb');
  }

  shardProgress(): ShardProgress {
    const p = this.progress;
    return { name: this.shardName, stage: p.stage, replid: p.replid, receivedOffset: p.receivedOffset, checkpoint: p.checkpoint };
  }

  private get heartbeatKey(): string {
    return this.opts.shard?.heartbeatKey ?? heartbeatKeyFor(this.opts.taskId);
  }

  get progress(): SyncProgress {
    return { ...this.p, checkpoint: this.writer.checkpoint ?? this.p.checkpoint, delayMs: this.heartbeat?.delayMs() ?? null,
      evictedKeys: this.evictions?.evicted ?? 0 };
  }

  private log(level: SyncLogLevel, message: string): void {
    this.emit('log', level, message);
  }

  /** Keys a broken destination connection may have left different (see StandaloneWriter's onReplayed). */
  private onReplayed(keys: { db: number; key: Buffer }[]): void {
    const shown = keys.slice(0, 10).map((k) => `DB ${k.db} "${printable(k.key)}"`).join(', ');
    this.log('warn', `the destination connection broke while commands were unanswered; ${keys.length} key(s) touched by ones that `
      + `may have run already and count again when repeated may now differ from the source: ${shown}${keys.length > 10 ? ', …' : ''}; verify them`);
    this.emit('suspect', keys.map((k) => ({ db: k.db, key: k.key.toString('latin1') })));
  }

  /**
   * New limits while running (an Upgrade Instance Class, say): applied to the current
   * stage at once and to the next stage when it begins.
   */
  setLimits(limits: { rps?: number; throttle?: StageThrottles }): void {
    this.opts = { ...this.opts, rps: limits.rps, throttle: limits.throttle };
    this.applyLimits();
  }

  /** The writer's rate for the current stage: the link spec, tightened by that stage's throttle. */
  private applyLimits(): void {
    const stage = this.p.stage === 'full' || this.p.stage === 'waiting-snapshot' ? this.opts.throttle?.full
      : this.p.stage === 'incremental' || this.p.stage === 'paused' || this.p.stage === 'retrying' ? this.opts.throttle?.incremental
        : undefined;
    this.writer.setRate(tighter(this.opts.rps ?? 0, stage?.rps ?? 0), stage?.bytesPerSecond ?? 0);
  }

  private setStage(stage: SyncStage): void {
    if (this.p.stage === stage) return;
    this.p.stage = stage;
    if (stage === 'full' || stage === 'incremental') this.applyLimits();
    this.emit('stage', stage);
    this.emitProgress();
  }

  private emitProgress(): void {
    const now = Date.now();
    const secs = Math.max(0.001, (now - this.lastRate.at) / 1000);
    this.p.rps = Math.round((this.writer.stats.commands - this.lastRate.commands) / secs);
    const bytes = this.p.rdbBytesDone + this.streamBytes;
    this.p.bytesPerSecond = Math.max(0, Math.round((bytes - this.lastRate.bytes) / secs));
    this.lastRate = { at: now, commands: this.writer.stats.commands, bytes };
    const cp = this.writer.checkpoint;
    if (cp && this.p.replid) this.emit('checkpoint', { shard: this.shardName, replid: this.p.replid, offset: cp.offset, db: cp.db });
    this.emit('progress', this.progress);
  }

  /** Runs until the task completes (full only, or an RDB file), is ended, or fails. */
  async run(): Promise<void> {
    const unlock = await lockTask(`${this.spoolDir}.lock`);
    // What a killed earlier run of this task spooled is of no use: the stream is read again from the record.
    fs.rmSync(this.spoolDir, { recursive: true, force: true });
    this.timer = setInterval(() => {
      // A refused write (OOM, say) stops the writer at once; the task must not wait for its next
      // write to find out, or an idle stream would leave it Running on a dead destination.
      if (this.writer.failed) void this.link?.close();
      this.emitProgress();
    }, PROGRESS_INTERVAL_MS);
    this.timer.unref();
    try {
      if (this.opts.targetCluster === undefined && await detectCluster(this.opts.target, 'destination')) {
        this.writer = this.makeWriter(true);
      }
      const dest = await this.writer.open();
      this.recordDb = recordDbFor(this.filter, this.writer.masters !== undefined);
      this.log('info', `destination ${endpointAddress(this.opts.target)} runs ${dest.version.product} ${dest.version.major}.${dest.version.minor}.${dest.version.patch} (RDB ${dest.rdbVersion})`);
      if (!this.opts.shard) this.evictions = await EvictionWatch.start(this.opts.target, this.writer.masters !== undefined, (l, m) => this.log(l, m));
      if (this.opts.rdbFile) {
        await this.restoreFile(this.opts.rdbFile);
        this.setStage(this.stopping ? 'ended' : 'completed');
        return;
      }
      await this.runReplication();
    } catch (err) {
      await this.settleWrites();
      this.setStage('failed');
      throw err;
    } finally {
      clearInterval(this.timer);
      await this.evictions?.stop();
      this.writer.close();
      await this.link?.close();
      await this.heartbeat?.stop();
      fs.rmSync(this.spoolDir, { recursive: true, force: true });
      unlock();
    }
  }

  /**
   * After a failure that did not come from the destination (a command that cannot be
   * replayed, a broken source), the writes already sent are let through, so the
   * destination holds everything before the failure and the checkpoint says where that is.
   */
  private async settleWrites(): Promise<void> {
    const flushed = this.writer.flush().then(() => true, () => false);
    const settled = await Promise.race([flushed, sleep(FAILURE_FLUSH_MS).then(() => false)]);
    if (!settled && !this.writer.failed) {
      this.log('warn', `the destination did not acknowledge the last writes within ${FAILURE_FLUSH_MS / 1000} s of the failure; the checkpoint stays before them`);
    }
  }

  private async restoreFile(file: string): Promise<void> {
    let size: number;
    try {
      size = fs.statSync(file).size;
    } catch (err) {
      throw new SyncError('RDB_FILE', `cannot read the RDB file ${file}: ${(err as Error).message}`, 'check the path and its permissions');
    }
    this.p.rdbBytesTotal = size;
    if ((this.opts.conflict ?? 'block') === 'block') await this.checkDestinationEmpty();
    // A damaged file is refused before anything is written: most damage (a flipped bit, a cut
    // end) only shows at the CRC-64 trailer, after every key was read.
    this.setStage('waiting-snapshot');
    this.log('info', `checking ${file} (${size} bytes)`);
    await this.verifyFile(file);
    this.setStage('full');
    await this.loadSnapshot(fs.createReadStream(file, { highWaterMark: 1024 * 1024 }), true);
    await this.writer.flush();
    if (this.stopping) {
      this.log('warn', `ended before the whole file was restored: ${this.p.keysDone} keys written`);
      return;
    }
    this.p.fullPercent = 100;
  }

  /**
   * Parses the whole file without writing: a damaged file (an RdbError) or a key the
   * destination cannot hold at all becomes the task's failure before any write.
   */
  private async verifyFile(file: string): Promise<void> {
    const dest = this.writer.destination;
    try {
      for await (const batch of parseRdbFile(file, { bigKeyThreshold: this.opts.bigKeyThreshold, highWaterMark: 1024 * 1024 })) {
        for (const e of batch) {
          if (e.type !== 'key' || !this.filter.acceptsDb(e.db) || !this.filter.acceptsKey(e.key)) continue;
          const refusal = unwritableKey(e, dest);
          if (refusal) throw refusal;
        }
        if (this.stopping) return;
      }
    } catch (err) {
      if (!(err instanceof RdbError)) throw err;
      throw new SyncError(err.code, `the RDB file ${file} is not usable, nothing was written: ${err.message}`, err.hint, { cause: err });
    }
  }

  private async runReplication(): Promise<void> {
    const source = this.opts.source;
    if (!source) throw new SyncError('NO_SOURCE', 'the task has neither a source nor an RDB file to read');
    const type = this.opts.type ?? 'full+incremental';
    let resume = await this.startingPoint(type);
    const sourceInfo = await this.sourceFacts(source);
    this.p.keysTotal = sourceInfo.keys;
    this.sourceDatabases = sourceInfo.databases;
    this.heartbeat = new Heartbeat(this.opts.shard?.heartbeatTo ?? source, this.heartbeatKey, (l, m) => this.log(l, m));
    await this.heartbeat.start();

    let firstConnect = true;
    let rewinds = 0;
    let retryDeadline = 0;
    // The first reconnect is quick: every second away lets the source's backlog move on,
    // and a partial resync is only possible while it still holds our offset.
    let backoffMs = RECONNECT_FIRST_MS;
    while (!this.stopping) {
      const link = new ReplicaLink({
        host: source.host,
        port: source.port,
        username: source.username,
        password: source.password,
        tls: source.tls,
        audience: source.audience,
        spoolDir: this.spoolDir,
        resume: resume ? { replid: resume.replid, offset: resume.offset } : undefined,
        timeoutMs: this.opts.linkTimeoutMs,
      });
      this.link = link;
      let streamDb = resume?.db ?? 0;
      let connected = false;
      let inStream = false;
      try {
        this.setStage(firstConnect ? 'connecting' : 'retrying');
        const info = await link.connect();
        connected = true;
        firstConnect = false;
        retryDeadline = 0;
        backoffMs = RECONNECT_FIRST_MS;
        this.p.replid = info.replid;
        if (info.mode === 'partial') {
          this.p.partialResyncs++;
          this.log('info', `resumed by partial resync from offset ${info.offset}`);
        } else {
          streamDb = await this.fullMigration(link, info, type);
          if (this.stopping) break;
          if (type === 'full') {
            this.setStage('completed');
            return;
          }
        }
        this.setStage(this.paused ? 'paused' : 'incremental');
        inStream = true;
        const last = await this.incremental(link, streamDb, info.offset);
        if (this.writer.failed) throw this.writer.failed;
        if (this.stopping) break;
        resume = last;
      } catch (err) {
        if (this.stopping) break;
        const writerFailure = this.writer.failed;
        if (writerFailure instanceof RolledBackError && rewinds++ < MAX_REWINDS) {
          // The destination lost acknowledged writes: read the stream again from what it still holds.
          this.log('warn', describeError(writerFailure));
          await link.close();
          resume = await this.reopenWriter();
          continue;
        }
        // The destination's refusal is the reason, not the link closed because of it.
        if (writerFailure) throw writerFailure;
        // After a first connect, what looks like wrong settings (a drop without a byte, a silent
        // port) is the network's or a restart's doing: retried like any broken link.
        const retryable = err instanceof LinkError && err.retryableOnceConnected && !firstConnect;
        if (!retryable) throw err;
        const now = Date.now();
        retryDeadline ||= now + (this.opts.connectionRetryMs ?? 10 * 60_000);
        if (now > retryDeadline) {
          throw new SyncError('RETRY_EXHAUSTED', `gave up reconnecting to the source ${endpointAddress(source)}: ${describeError(err)}`,
            'the retry time for failed connections ran out; check the source, then start the task again');
        }
        this.log('warn', `${describeError(err)}; reconnecting`);
        // Resume only from inside the stream: a snapshot cut short must be read again in full.
        // The applier says where: before a transaction cut in two, whose start it held back.
        if (inStream && link.replid && link.canResume && this.applier) {
          const at = this.applier.resumePoint;
          resume = { replid: link.replid, offset: at.offset, db: at.db };
        } else if (connected) {
          resume = undefined;
        }
        await link.close();
        await sleep(backoffMs);
        backoffMs = Math.min(backoffMs * 2, RECONNECT_MAX_MS);
      }
    }
    // Ended: write everything already read, then stop.
    await this.writer.flush();
    this.setStage('ended');
  }

  /** Reads the snapshot; writes it unless the task is incremental only. Returns the stream's starting DB. */
  private async fullMigration(link: ReplicaLink, info: SyncInfo, type: SyncType): Promise<number> {
    this.p.fullSyncs++;
    this.p.keysDone = 0;
    this.p.rdbBytesDone = 0;
    this.p.fullPercent = 0;
    this.setStage('waiting-snapshot');
    this.log('info', info.mode === 'sync'
      ? 'the source only supports SYNC: full migration without resume'
      : `full resynchronization from offset ${info.offset}`);
    if (type !== 'incremental') await this.prepareForSnapshot(info);
    const chunks = link.rdb();
    const first = await chunks.next();
    this.p.rdbBytesTotal = link.rdbInfo?.size ?? null;
    this.setStage('full');
    // The parser stops reading at the RDB's end, maybe while the first chunk is still out:
    // closing this wrapper must close the link's RDB reader too, or the stream cannot be read.
    async function* all(): AsyncGenerator<Buffer> {
      try {
        if (!first.done) yield first.value;
        yield* chunks;
      } finally {
        await chunks.return(undefined);
      }
    }
    const streamDb = await this.loadSnapshot(all(), type !== 'incremental');
    await this.writer.flush();
    if (this.stopping) {
      this.log('warn', `ended during the full migration: ${this.p.keysDone} keys written; it is not complete`);
      return streamDb;
    }
    this.p.fullPercent = 100;
    this.log('info', type === 'incremental'
      ? 'snapshot received (not written: incremental only)'
      : `full migration done: ${this.p.keysDone} keys`);
    // A full-only task has nothing to resume: its record goes with it.
    if (type === 'full') await this.writer.setKey(this.recordDb, this.recordKey, null);
    this.emitProgress();
    return streamDb;
  }

  /** Parses an RDB stream into writes. Returns the aux repl-stream-db (the stream's starting DB). */
  private async loadSnapshot(source: AsyncIterable<Buffer>, write: boolean): Promise<number> {
    const loader = new SnapshotLoader({
      filter: this.filter,
      writer: this.writer,
      write,
      ttlExtendMs: (this.opts.ttlExtendSeconds ?? 0) * 1000,
      bigKeyThreshold: this.opts.bigKeyThreshold,
      log: (level, message) => this.log(level, message),
      onBatch: (progress) => {
        this.p.keysDone = progress.keysDone;
        this.p.rdbBytesDone = progress.bytesDone;
        this.updateFullPercent();
        return this.stopping;
      },
    });
    return loader.load(source);
  }

  private updateFullPercent(): void {
    const p = this.p;
    if (p.rdbBytesTotal) p.fullPercent = Math.min(99.9, (p.rdbBytesDone / p.rdbBytesTotal) * 100);
    else if (p.keysTotal > 0) p.fullPercent = Math.min(99.9, (p.keysDone / p.keysTotal) * 100);
  }

  /** Applies the stream until the link ends (stop) or fails (thrown). Returns where it got to. */
  private async incremental(link: ReplicaLink, startDb: number, startOffset: number): Promise<{ replid: string; offset: number; db: number } | undefined> {
    const applier = new StreamApplier(this.writer, {
      filter: this.filter,
      initialDb: startDb,
      initialOffset: startOffset,
      sourceDatabases: this.sourceDatabases,
      heartbeatKey: this.heartbeatKey,
      onKeyWritten: this.opts.onKeyWritten,
      ttlExtendMs: (this.opts.ttlExtendSeconds ?? 0) * 1000,
      log: (level, message) => this.log(level, message),
      onHeartbeat: (sentAt) => this.heartbeat?.seen(sentAt),
    });
    this.applier = applier;
    await this.beginUnits({ offset: startOffset, db: startDb });
    let streamAt = startOffset;
    for await (const batch of link.commandBatches()) {
      this.applying = true;
      for (const cmd of batch) {
        if (this.paused) await this.park();
        // The master's PING and REPLCONF GETACK are dropped there too; they move the checkpoint.
        const pending = applier.apply(cmd);
        if (pending) await pending;
      }
      this.applying = false;
      // The end of a batch closes the open unit (its errors surface in the next write or flush).
      this.writer.commitUnit()?.catch(() => undefined);
      for (const w of this.parkWaiters.splice(0)) w();
      if (batch.length > 0) {
        const end = batch[batch.length - 1].offset;
        this.streamBytes += end - streamAt;
        streamAt = end;
        this.p.receivedOffset = end;
      }
      this.p.commandsApplied = applier.stats.applied;
      if (this.stopping) break;
    }
    const at = applier.resumePoint;
    return link.replid ? { replid: link.replid, offset: at.offset, db: at.db } : undefined;
  }

  /** Destination Object Data Existence Check, made before anything is written. */
  private async checkDestinationEmpty(): Promise<void> {
    await checkDestinationEmpty(this.opts.target, this.writer.masters !== undefined, this.filter);
  }

  /** Whether the destination holds none of the keys the task carries. */
  private async destinationEmpty(): Promise<boolean> {
    return (await sampleDestinationKeys(this.opts.target, this.writer.masters !== undefined, this.filter, 1)).length === 0;
  }

  private async readRecord(): Promise<DestinationRecord | null> {
    return parseRecord(await this.writer.readKey(this.recordDb, this.recordKey));
  }

  /**
   * Where the task starts, from the record the destination holds (it is written with
   * the data, so it is always right) and, only without one, the saved checkpoint.
   * Also settles whether the destination DBs are the task's own.
   */
  private async startingPoint(type: SyncType): Promise<SyncOptions['resume']> {
    const record = await this.readRecord();
    const given = this.opts.resume;
    if (record) {
      this.owned = record.owned;
      this.earlierLoad = true;
      if (record.phase === 'stream' && record.replid) {
        if (!given || given.offset !== record.offset || given.replid !== record.replid) {
          this.log('info', `the destination has applied the stream up to offset ${record.offset}, as its record of the task says: resuming there`);
        }
        return { replid: record.replid, offset: record.offset, db: record.db };
      }
      this.log('warn', 'a full migration of this task was cut short: it runs again from the start'
        + (this.owned ? ', after clearing what it had written' : ''));
      return undefined;
    }
    if (this.opts.destinationOwned !== undefined) {
      this.owned = this.opts.destinationOwned;
      return given;
    }
    if (given) {
      if (type !== 'incremental' && await this.destinationEmpty()) {
        this.log('warn', 'the destination holds none of the task\'s keys and no record of it (it was emptied, or restarted without persistence): '
          + 'the full migration runs again');
        this.owned = true;
        return undefined;
      }
      this.log('warn', 'the destination holds no record of this task (written by an older version): resuming from the saved checkpoint; '
        + 'commands between it and the last write may be applied twice');
      return given;
    }
    if (type === 'incremental') return undefined;
    if ((this.opts.conflict ?? 'block') === 'block') {
      await this.checkDestinationEmpty();
      this.owned = true;
    } else {
      this.owned = await this.destinationEmpty();
    }
    return undefined;
  }

  /** Before a snapshot is written: back to plain writes, clear an earlier load, and say a load is under way. */
  private async prepareForSnapshot(info: SyncInfo): Promise<void> {
    await this.writer.endUnits();
    this.exactlyOnce = false;
    if (this.earlierLoad) {
      if (this.owned) {
        const what = await clearTaskKeys(this.writer, {
          target: this.opts.target, cluster: this.writer.masters !== undefined, filter: this.filter, slots: this.opts.shard?.slots,
        });
        this.log('info', `before the full migration runs again: ${what} (what the earlier snapshot had written)`);
      } else {
        this.log('warn', 'the full migration runs again into a destination that held other keys when the task started: keys deleted '
          + 'on the source since the earlier snapshot may remain on the destination; a Full Data Verification lists them as extra keys');
      }
    }
    // Ahead of every snapshot write: on one connection the pipeline keeps that order; a cluster's
    // record and data sit on different masters, so there it is acknowledged first.
    const loading = encodeRecord({ phase: 'loading', owned: this.owned, replid: info.replid, offset: info.offset, db: 0 });
    if (this.writer.masters === undefined) {
      this.writer.selectDb(this.recordDb);
      await this.writer.write(['SET', this.recordKey, loading]);
    } else {
      await this.writer.setKey(this.recordDb, this.recordKey, loading);
    }
    this.earlierLoad = true;
  }

  /** The stream is written in units with the record from here (or at least once, where the writer cannot). */
  private async beginUnits(start: StreamPosition): Promise<void> {
    await this.writer.flush();
    const record = { db: this.recordDb, key: this.recordKey, value: (mark: StreamPosition) => encodeRecord({
      phase: 'stream', owned: this.owned, replid: this.p.replid, offset: mark.offset, db: mark.db,
    }) };
    const exact = this.writer.beginUnits(record, start);
    if (exact !== this.exactlyOnce || !this.modeLogged) {
      this.modeLogged = true;
      this.log(exact ? 'info' : 'warn', exact
        ? 'the stream is applied exactly once: each batch goes in one transaction with the task\'s record on the destination'
        : 'the stream is applied at least once on this destination (a cluster): after a broken connection, commands may be sent '
          + 'again; keys where that counts twice are reported');
    }
    this.exactlyOnce = exact;
  }

  /** After the destination lost acknowledged writes: a new writer, and the position its record holds now. */
  private async reopenWriter(): Promise<SyncOptions['resume']> {
    this.writer.close();
    this.writer = this.makeWriter(this.writer.masters !== undefined);
    await this.writer.open();
    this.exactlyOnce = false;
    const record = await this.readRecord();
    this.earlierLoad = true;
    if (record?.phase === 'stream' && record.replid) {
      this.log('info', `the destination holds the stream up to offset ${record.offset}: reading it again from there`);
      return { replid: record.replid, offset: record.offset, db: record.db };
    }
    this.log('warn', 'the destination holds no position of the task any more: the full migration runs again');
    return undefined;
  }

  /** Keys in the selected DBs (for the progress bar) and the source's number of DBs (for FLUSHALL). */
  private async sourceFacts(source: RedisEndpoint): Promise<{ keys: number; databases: number }> {
    const client = await new ControlClient(source, 'source').open();
    try {
      const info = await client.call(['INFO', 'keyspace']);
      let keys = 0;
      if (!(info instanceof RespErrorReply)) {
        for (const m of String(info).matchAll(/^db(\d+):keys=(\d+)/gm)) {
          if (this.filter.acceptsDb(Number(m[1]))) keys += Number(m[2]);
        }
      }
      // CONFIG may be refused (managed services): Redis's default then.
      const config = await client.call(['CONFIG', 'GET', 'databases']);
      const databases = Array.isArray(config) && config[1] !== undefined ? Number(String(config[1])) : NaN;
      return { keys, databases: Number.isInteger(databases) && databases > 0 ? databases : 16 };
    } finally {
      client.close();
    }
  }

  /**
   * Stop writing to the destination; the link stays up and the stream spools to disk.
   * Resolves once nothing more will be written and what was written is acknowledged,
   * so whoever shows "Paused" can rely on it. During a full migration it takes effect when the
   * stream begins: the snapshot is written whole (the console offers Pause only while Running).
   */
  async pause(): Promise<void> {
    if (!this.paused) {
      this.paused = true;
      if (this.p.stage === 'incremental') this.setStage('paused');
      this.log('info', 'paused: the source stream is spooled until the task starts again');
    }
    if (this.applying && !this.parked) await new Promise<void>((r) => this.parkWaiters.push(r));
    await this.writer.flush().catch(() => undefined); // a failing writer fails the task, not the pause
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.parked = false;
    for (const w of this.resumeWaiters.splice(0)) w();
    if (this.p.stage === 'paused') this.setStage('incremental');
    this.log('info', 'started again');
  }

  /** Between two commands: tell pause() that no more are applied, and wait for Start. */
  private async park(): Promise<void> {
    // Paused again before this woke up from a resume: park again (and answer that pause).
    while (this.paused) {
      for (const w of this.parkWaiters.splice(0)) w();
      this.parked = true;
      await new Promise<void>((r) => this.resumeWaiters.push(r));
    }
  }

  /** End: stop reading, write everything already read, delete the heartbeat key. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.resume();
    await this.link?.close();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
