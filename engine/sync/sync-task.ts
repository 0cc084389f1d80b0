/**
 * One synchronization task: the source's snapshot is written to the destination
 * (full migration), then its replication stream is replayed (incremental) until
 * the task is ended. SyncTask is the destination side — the writer, the task's
 * record on the destination, the filter, the snapshot loader, the stream
 * applier, pause, limits and progress — driven by a reader of the source side
 * (readers/: the replication session, or an RDB file).
 *
 * Exactly once: the stream is written in units that carry the task's record
 * (destination-record.ts), so every start — after a crash of the engine or the
 * console, a broken destination connection, a destination restarted from its
 * own AOF — continues from the position the destination itself holds. A full
 * migration that runs again first clears what the earlier one wrote, where the
 * task owns its destination DBs (destination-reset.ts).
 *
 *   source ──reader──► RdbParser ─► EntryFilter ─► KeyWriter ─┐
 *                └──► commands ──► StreamApplier ────────────┴─► writer (units + record) ─► destination
 */
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import { detectCluster } from '../cluster/topology';
import { endpointAddress, type RedisEndpoint } from '../endpoint';
import { EntryFilter } from '../filter';
import { printable } from '../writer/errors';
import { tighterRate } from '../writer/rate-limiter';
import { createDestinationWriter, type DestinationWriter } from '../writer/destination';
import type { StreamPosition } from '../writer/types';
import { checkDestinationEmpty, sampleDestinationKeys } from './conflict-check';
import { encodeRecord, parseRecord, recordDbFor, recordKeyFor, type DestinationRecord } from './destination-record';
import { clearTaskKeys } from './destination-reset';
import { SyncError } from './errors';
import { EvictionWatch } from './eviction-watch';
import { heartbeatKeyFor } from './heartbeat';
import { PauseGate } from './pause-gate';
import { RdbFileReader } from './readers/rdb-file';
import type { Snapshot, SourceReader, StreamContext, SyncPipeline } from './readers/reader';
import { ReplicationReader } from './readers/replication';
import { ScanReader } from './readers/scan';
import { SnapshotLoader } from './snapshot-loader';
import { StreamApplier, type StreamCommand } from './stream-applier';
import { temporarySpoolDir } from '../replica/spool';
import { lockTask } from './task-lock';
import type {
  ResumePosition, ShardProgress, StageThrottles, SyncLogLevel, SyncOptions, SyncProgress, SyncRunner, SyncStage, SyncTaskEvents, SyncType,
} from './types';


/**
 * Set by ClusterSyncTask for one shard of a cluster source: the shard's name in
 * checkpoints and records, where its heartbeat goes (the shard's master, when the link
 * reads a replica), the heartbeat key (hash-tagged into the shard's slots), its slots,
 * and whether the destination DBs are the task's own (checked once for all shards).
 */
export interface ShardPlumbing {
  name: string;
  heartbeatTo: RedisEndpoint;
  heartbeatKey: string;
  slots: [number, number][];
  destinationOwned?: boolean;
}

const PROGRESS_INTERVAL_MS = 1000;
const FAILURE_FLUSH_MS = 10_000;


export class SyncTask extends EventEmitter<SyncTaskEvents> implements SyncRunner, SyncPipeline {
  readonly filter: EntryFilter;
  private currentWriter: DestinationWriter;
  private reader?: SourceReader;
  /** The destination's evictions (a cluster source's shards leave it to ClusterSyncTask, which watches once). */
  private evictions?: EvictionWatch;
  private stoppingNow = false;
  private readonly gate = new PauseGate();
  /** Where the replica link spools: the given folder, or (none given) a private temporary one made by run(). */
  private spoolDir: string | undefined;
  private timer?: NodeJS.Timeout;
  /** Applies the current stream; knows where a broken one must resume. */
  private applier?: StreamApplier;
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
  readonly state: SyncProgress = {
    stage: 'connecting', keysDone: 0, keysTotal: 0, rdbBytesDone: 0, rdbBytesTotal: null, fullPercent: 0,
    replid: null, receivedOffset: 0, checkpoint: null, delayMs: null, rps: 0, bytesPerSecond: 0,
    commandsApplied: 0, bytesRead: 0, destinationErrors: 0, destinationRetries: 0, fullSyncs: 0, partialResyncs: 0, evictedKeys: 0,
  };

  constructor(private opts: SyncOptions, private readonly shard?: ShardPlumbing) {
    super();
    this.filter = new EntryFilter(opts.filter);
    this.currentWriter = this.makeWriter(opts.targetCluster ?? false);
    this.spoolDir = opts.spoolDir;
    this.recordKey = Buffer.from(recordKeyFor(opts.taskId, shard?.name));
  }

  get options(): SyncOptions {
    return this.opts;
  }

  get writer(): DestinationWriter {
    return this.currentWriter;
  }

  get slots(): readonly [number, number][] | undefined {
    return this.shard?.slots;
  }

  get stopping(): boolean {
    return this.stoppingNow;
  }

  get paused(): boolean {
    return this.gate.isClosed;
  }

  get streamResumePoint(): StreamPosition | undefined {
    return this.applier?.resumePoint;
  }

  private makeWriter(cluster: boolean): DestinationWriter {
    return createDestinationWriter(this.opts.target, cluster, {
      rps: this.opts.rps,
      connectionRetryMs: this.opts.connectionRetryMs,
      otherRetryMs: this.opts.otherRetryMs,
      replyTimeoutMs: this.opts.hooks?.replyTimeoutMs,
      log: (level, message) => this.log(level, message),
      onReplayed: (keys) => this.onReplayed(keys),
    });
  }

  /** The name checkpoints are kept under: the source's address (or the cluster shard's). */
  get shardName(): string {
    return this.shard?.name ?? (this.opts.source ? endpointAddress(this.opts.source) : 'rdb');
  }

  shardProgress(): ShardProgress {
    const p = this.progress;
    return {
      name: this.shardName, stage: p.stage, replid: p.replid, receivedOffset: p.receivedOffset, checkpoint: p.checkpoint, delayMs: p.delayMs,
      commandsApplied: p.commandsApplied, bytesRead: p.bytesRead, destinationErrors: p.destinationErrors, destinationRetries: p.destinationRetries,
    };
  }

  get progress(): SyncProgress {
    return { ...this.state, checkpoint: this.writer.checkpoint ?? this.state.checkpoint, delayMs: this.reader?.delayMs() ?? null,
      evictedKeys: this.evictions?.evicted ?? 0, bytesRead: this.state.rdbBytesDone + this.streamBytes,
      destinationErrors: this.writer.stats.errors, destinationRetries: this.writer.stats.retries };
  }

  log(level: SyncLogLevel, message: string): void {
    this.emit('log', level, message);
  }

  /** Keys a broken destination connection may have left different (at-least-once writes; see replay.ts). */
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
    const stage = this.state.stage;
    const throttle = stage === 'full' || stage === 'waiting-snapshot' ? this.opts.throttle?.full
      : stage === 'incremental' || stage === 'paused' || stage === 'retrying' ? this.opts.throttle?.incremental
        : undefined;
    this.writer.setRate(tighterRate(this.opts.rps ?? 0, throttle?.rps ?? 0), throttle?.bytesPerSecond ?? 0);
  }

  setStage(stage: SyncStage): void {
    if (this.state.stage === stage) return;
    this.state.stage = stage;
    if (stage === 'full' || stage === 'incremental') this.applyLimits();
    this.emit('stage', stage);
    this.emitProgress();
  }

  private emitProgress(): void {
    const p = this.state;
    const now = Date.now();
    const secs = Math.max(0.001, (now - this.lastRate.at) / 1000);
    p.rps = Math.round((this.writer.stats.commands - this.lastRate.commands) / secs);
    const bytes = p.rdbBytesDone + this.streamBytes;
    p.bytesPerSecond = Math.max(0, Math.round((bytes - this.lastRate.bytes) / secs));
    this.lastRate = { at: now, commands: this.writer.stats.commands, bytes };
    const cp = this.writer.checkpoint;
    if (cp && p.replid) this.emit('checkpoint', { shard: this.shardName, replid: p.replid, offset: cp.offset, db: cp.db });
    this.emit('progress', this.progress);
  }

  /** Runs until the task completes (full only, or an RDB file), is ended, or fails. */
  async run(): Promise<void> {
    const spoolDir = this.opts.spoolDir ?? temporarySpoolDir();
    this.spoolDir = spoolDir;
    const unlock = await lockTask(this.opts.lockFile ?? `${spoolDir}.lock`);
    // What a killed earlier run of this task spooled is of no use: the stream is read again from the record.
    // (A temporary folder is new and empty, and stays in place: removing it would free its name for anyone.)
    if (this.opts.spoolDir !== undefined) fs.rmSync(spoolDir, { recursive: true, force: true });
    this.timer = setInterval(() => {
      // A refused write (OOM, say) stops the writer at once; the task must not wait for its next
      // write to find out, or an idle stream would leave it Running on a dead destination.
      if (this.writer.failed) this.reader?.interrupt();
      this.emitProgress();
    }, PROGRESS_INTERVAL_MS);
    this.timer.unref();
    try {
      if (this.opts.targetCluster === undefined && await detectCluster(this.opts.target, 'destination')) {
        this.currentWriter = this.makeWriter(true);
      }
      const dest = await this.writer.open();
      this.recordDb = recordDbFor(this.filter, this.writer.masters !== undefined);
      this.log('info', `destination ${endpointAddress(this.opts.target)} runs ${dest.version.product} ${dest.version.major}.${dest.version.minor}.${dest.version.patch} (RDB ${dest.rdbVersion})${dest.modules?.length ? `, modules ${dest.modules.join(', ')}` : ''}`);
      if (!this.shard) this.evictions = await EvictionWatch.start(this.opts.target, this.writer.masters !== undefined, (l, m) => this.log(l, m));
      this.reader = this.readerFor();
      await this.reader.run();
    } catch (err) {
      await this.settleWrites();
      this.setStage('failed');
      throw err;
    } finally {
      clearInterval(this.timer);
      await this.evictions?.stop();
      this.writer.close();
      await this.reader?.close();
      fs.rmSync(spoolDir, { recursive: true, force: true });
      unlock();
    }
  }

  private readerFor(): SourceReader {
    if (this.opts.rdbFile) return new RdbFileReader(this, this.opts.rdbFile);
    const source = this.opts.source;
    if (!source) throw new SyncError('NO_SOURCE', 'the task has neither a source nor an RDB file to read');
    if (this.opts.read === 'scan') return new ScanReader(this, source, this.opts.hooks?.scan);
    return new ReplicationReader(this, {
      source,
      spoolDir: this.spoolDir!,
      heartbeatTo: this.shard?.heartbeatTo ?? source,
      heartbeatKey: this.shard?.heartbeatKey ?? heartbeatKeyFor(this.opts.taskId),
    });
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

  flush(): Promise<void> {
    return this.writer.flush();
  }

  async forgetRecord(): Promise<void> {
    await this.writer.flush();
    await this.writer.setKey(this.recordDb, this.recordKey, null);
    await this.writer.flush();
  }

  async fullMigration(snapshot: Snapshot, type: SyncType): Promise<number> {
    const p = this.state;
    p.fullSyncs++;
    p.keysDone = 0;
    p.rdbBytesDone = 0;
    p.fullPercent = 0;
    this.setStage('waiting-snapshot');
    if (type !== 'incremental') await this.prepareForSnapshot(snapshot);
    const setStage = (stage: SyncStage) => this.setStage(stage);
    // 'full' once the first bytes are in (and with them, for a sized transfer, its size).
    async function* started(): AsyncGenerator<Buffer> {
      let first = true;
      for await (const chunk of snapshot.chunks) {
        if (first) {
          first = false;
          p.rdbBytesTotal = snapshot.size();
          setStage('full');
        }
        yield chunk;
      }
    }
    const streamDb = await this.loadSnapshot(started(), type !== 'incremental', snapshot);
    await this.writer.flush();
    if (this.stopping) {
      this.log('warn', `ended during the full migration: ${p.keysDone} keys written; it is not complete`);
      return streamDb;
    }
    p.fullPercent = 100;
    this.log('info', type === 'incremental'
      ? 'snapshot received (not written: incremental only)'
      : `full migration done: ${p.keysDone} keys`);
    // A full-only task has nothing to resume: its record goes with it.
    if (type === 'full') await this.writer.setKey(this.recordDb, this.recordKey, null);
    this.emitProgress();
    return streamDb;
  }

  async restoreSnapshot(chunks: AsyncIterable<Buffer>, size: number): Promise<void> {
    this.state.rdbBytesTotal = size;
    await this.loadSnapshot(chunks, true);
    await this.writer.flush();
  }

  /** Parses an RDB stream into writes. Returns the aux repl-stream-db (the stream's starting DB). */
  private async loadSnapshot(source: AsyncIterable<Buffer>, write: boolean, snapshot?: Pick<Snapshot, 'after' | 'noChecksum'>): Promise<number> {
    const loader = new SnapshotLoader({
      filter: this.filter,
      writer: this.writer,
      write,
      ttlExtendMs: (this.opts.ttlExtendSeconds ?? 0) * 1000,
      bigKeyThreshold: this.opts.hooks?.bigKeyThreshold,
      verifyChecksum: snapshot?.noChecksum ? false : undefined,
      log: (level, message) => this.log(level, message),
      onBatch: (progress) => {
        this.state.keysDone = progress.keysDone;
        this.state.rdbBytesDone = progress.bytesDone;
        this.updateFullPercent();
        return this.stopping;
      },
    });
    return loader.load(source, snapshot?.after);
  }

  private updateFullPercent(): void {
    const p = this.state;
    if (p.rdbBytesTotal) p.fullPercent = Math.min(99.9, (p.rdbBytesDone / p.rdbBytesTotal) * 100);
    else if (p.keysTotal > 0) p.fullPercent = Math.min(99.9, (p.keysDone / p.keysTotal) * 100);
  }

  async applyStream(batches: AsyncIterable<StreamCommand[]>, start: StreamPosition, context: StreamContext): Promise<void> {
    const applier = new StreamApplier(this.writer, {
      filter: this.filter,
      clusterDestination: this.writer.masters !== undefined,
      initialDb: start.db,
      initialOffset: start.offset,
      sourceDatabases: context.sourceDatabases,
      heartbeatKey: context.heartbeatKey,
      onKeyWritten: this.opts.onKeyWritten,
      ttlExtendMs: (this.opts.ttlExtendSeconds ?? 0) * 1000,
      log: (level, message) => this.log(level, message),
      onHeartbeat: context.onHeartbeat,
    });
    this.applier = applier;
    await this.beginUnits(start);
    let streamAt = start.offset;
    for await (const batch of batches) {
      this.gate.enter();
      for (const cmd of batch) {
        if (this.gate.isClosed) await this.gate.wait();
        // The master's PING and REPLCONF GETACK are dropped there too; they move the checkpoint.
        const pending = applier.apply(cmd);
        if (pending) await pending;
      }
      // The end of a batch closes the open unit (its errors surface in the next write or flush).
      this.writer.commitUnit()?.catch(() => undefined);
      this.gate.leave();
      if (batch.length > 0) {
        const end = batch[batch.length - 1].offset;
        this.streamBytes += end - streamAt;
        streamAt = end;
        this.state.receivedOffset = end;
      }
      this.state.commandsApplied = applier.stats.applied;
      if (this.stopping) break;
    }
  }

  /** Destination Object Data Existence Check, made before anything is written. */
  async checkDestinationEmpty(): Promise<void> {
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
  async startingPoint(type: SyncType): Promise<ResumePosition | undefined> {
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
      this.log('warn', (record.phase === 'stream'
        ? 'the task\'s record holds no source position to resume from (scan mode keeps none): the full migration runs again'
        : 'a full migration of this task was cut short: it runs again from the start')
        + (this.owned ? ', after clearing what it had written' : ''));
      return undefined;
    }
    if (this.shard?.destinationOwned !== undefined) {
      this.owned = this.shard.destinationOwned;
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
  private async prepareForSnapshot(snapshot: Snapshot): Promise<void> {
    await this.writer.endUnits();
    this.exactlyOnce = false;
    if (this.earlierLoad) {
      if (this.owned) {
        const what = await clearTaskKeys(this.writer, {
          target: this.opts.target, cluster: this.writer.masters !== undefined, filter: this.filter, slots: this.shard?.slots,
        });
        this.log('info', `before the full migration runs again: ${what} (what the earlier snapshot had written)`);
      } else {
        this.log('warn', 'the full migration runs again into a destination that held other keys when the task started: keys deleted '
          + 'on the source since the earlier snapshot may remain on the destination; a Full Data Verification lists them as extra keys');
      }
    }
    // Ahead of every snapshot write: on one connection the pipeline keeps that order; a cluster's
    // record and data sit on different masters, so there it is acknowledged first.
    const loading = encodeRecord({ phase: 'loading', owned: this.owned, replid: snapshot.replid, offset: snapshot.offset, db: 0 });
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
      phase: 'stream', owned: this.owned, replid: this.state.replid, offset: mark.offset, db: mark.db,
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

  async reopenWriter(): Promise<ResumePosition | undefined> {
    this.writer.close();
    this.currentWriter = this.makeWriter(this.writer.masters !== undefined);
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

  /**
   * Stop writing to the destination; the link stays up and the stream spools to disk.
   * Resolves once nothing more will be written and what was written is acknowledged,
   * so whoever shows "Paused" can rely on it. During a full migration it takes effect when the
   * stream begins: the snapshot is written whole (the console offers Pause only while Running).
   */
  async pause(): Promise<void> {
    if (this.gate.close()) {
      if (this.state.stage === 'incremental') this.setStage('paused');
      this.log('info', 'paused: the source stream is spooled until the task starts again');
    }
    await this.gate.quiet();
    await this.writer.flush().catch(() => undefined); // a failing writer fails the task, not the pause
  }

  resume(): void {
    if (!this.gate.open()) return;
    if (this.state.stage === 'paused') this.setStage('incremental');
    this.log('info', 'started again');
  }

  /** End: stop reading, write everything already read, delete the heartbeat key. */
  async stop(): Promise<void> {
    this.stoppingNow = true;
    this.resume();
    await this.reader?.stop();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
