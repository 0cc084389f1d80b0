/**
 * Reads a source that refuses replication (PSYNC/SYNC: most managed services) by
 * scanning it — RedisShake's scan_reader, with what it cannot see said out loud.
 *
 * - Keyspace notifications (`__keyevent@<db>__:*`) are subscribed first, so a key
 *   written during the scan is queued (once, however often it changes).
 * - Full migration: SCAN of each selected DB, read ahead of the loader; plain strings by
 *   MGET, other keys by DUMP, each with its absolute expiry (PEXPIRETIME, or PTTL and TIME
 *   before 7.0) — atomically for a full-only task (a Lua script per batch where the source
 *   runs scripts, else MULTI/EXEC per key), not atomically while notifications are followed
 *   (a write between a key's reads is an event: the key is read again), and without
 *   PEXPIRETIME for a DB that held no volatile key when the scan began (then SCAN's and MGET's
 *   replies are read raw: keys and values stay offsets into the reply bytes, ScanKeys). Pipelined over
 *   several connections at the task's rate, framed as an RDB stream and written by the
 *   same snapshot loader as a replication snapshot (RESTORE … ABSTTL, commands where the
 *   destination cannot load the payload); functions from FUNCTION DUMP. Keys over the
 *   big-key threshold (MEMORY USAGE) are read after the scan in windows of their type's
 *   own commands (scan/big-keys.ts) and written in batches by the loader.
 * - A cluster source: one reader per master (ClusterSyncTask), each on its own node.
 * - Incremental: the queued keys are read again and rewritten (a key gone is deleted on
 *   the destination) through the stream applier. The delay is the queue's age.
 * - Gaps, healed by a re-scan of the DBs concerned (every key read again, and keys the
 *   destination holds but the source does not deleted): a lost subscription (killed,
 *   dropped past `client-output-buffer-limit pubsub`, silent), an overflowing queue,
 *   and FLUSHDB / FLUSHALL / SWAPDB, which emit no event and are seen in INFO commandstats.
 * A broken key-read connection is opened again, then everything re-scanned. There is no
 * source offset: a task started again scans again. docs/scan-mode.md says all of it.
 */
import { keySlot } from '../../cluster/slot';
import { endpointAddress, type RedisEndpoint } from '../../endpoint';
import { describeError } from '../../errors';
import { ControlClient, NetError } from '../../net/socket';
import { RespErrorReply, type RespValue } from '../../resp';
import { hasFeature, parseServerVersion, rdbVersionOf, serverLabel, type ServerVersion } from '../../servers/facts';
import { tighterRate } from '../../writer/rate-limiter';
import { SyncError } from '../errors';
import { heartbeatKeyFor } from '../heartbeat';
import { DEFAULT_BIG_KEY_THRESHOLD } from '../../rdb';
import type { RdbEvent } from '../../rdb/types';
import { bigKeyEvents } from './scan/big-keys';
import type { StreamCommand } from '../stream-applier';
import type { ScanTuning } from '../types';
import type { SourceReader, SyncPipeline } from './reader';
import { ChangeQueue } from './scan/change-queue';
import { ChangeWriter } from './scan/change-writer';
import { keyRecords, magicOfVersion, payloadVersion, rdbEof, rdbHeader, selectDbRecord, type KeyRead } from './scan/dump-rdb';
import { KeyeventSubscriber } from './scan/notifications';
import { ReadAhead } from './scan/read-ahead';
import { checkNotifySetting, parseFlushCounts, type FlushCounts } from './scan/source-settings';
import { SourceReads } from './scan/source-reads';

/** Reads of 1,000 keys in flight at once during the full migration (the memory bound; ReadAhead). */
const READS_IN_FLIGHT = 8;
/** Changed keys read again per batch. */
const CHANGE_BATCH = 512;
const RESUBSCRIBE_FIRST_MS = 200;
const RESUBSCRIBE_MAX_MS = 5000;

export class ScanReader implements SourceReader {
  private reads?: SourceReads;
  private subscriber?: KeyeventSubscriber;
  private readonly queue: ChangeQueue;
  /** Source DBs to scan again, and why. */
  private readonly rescans = new Map<number, string>();
  /** Since when a re-scan has been due or running (its age is part of the delay), 0 when none. */
  private rescanSince = 0;
  private flushWatch?: NodeJS.Timeout;
  private flushClient?: ControlClient;
  private flushCounts?: FlushCounts;
  private closed = false;
  private databases = 16;
  private offset = 0;
  private sweepWarned = false;
  private following = false;
  /** The source has PEXPIRETIME. */
  private expireTime = false;
  /** The source has hash fields with their own expiry. */
  private fieldTtl = false;
  /** Keys of the full migration over the big-key threshold, read in windows after the scan. */
  private bigKeys: { db: number; key: Buffer }[] = [];
  /** The source is a cluster's node (one shard of a ClusterSyncTask). */
  private clusterNode = false;
  /** The oldest change of the batch being read and written (0: none). */
  private working = 0;

  constructor(private readonly pipeline: SyncPipeline, private readonly source: RedisEndpoint, private readonly opts: ScanTuning = {}) {
    this.queue = new ChangeQueue(opts.maxQueuedKeys ?? 500_000, (dbs) => this.rescan(dbs,
      `more than ${opts.maxQueuedKeys ?? 500_000} changed keys waited to be read`));
  }

  /** The age of the oldest change not yet on the destination (a re-scan counts from when it became due). */
  delayMs(): number | null {
    if (!this.following) return null;
    const now = Date.now();
    const rescan = this.rescanSince ? now - this.rescanSince : 0;
    const working = this.working ? now - this.working : 0;
    return Math.max(this.queue.ageMs(), rescan, working);
  }

  interrupt(): void {
    this.reads?.close();
    this.queue.wake();
  }

  async stop(): Promise<void> {
    this.queue.wake();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.flushWatch) clearInterval(this.flushWatch);
    this.flushClient?.close();
    this.subscriber?.close();
    this.reads?.close();
  }

  private get address(): string {
    return endpointAddress(this.source);
  }

  async run(): Promise<void> {
    try {
      await this.read();
    } catch (err) {
      // The destination's refusal is the reason, not the reads it interrupted.
      throw this.pipeline.writer.failed ?? err;
    }
  }

  private async read(): Promise<void> {
    const pipeline = this.pipeline;
    const type = pipeline.options.type ?? 'full+incremental';
    await pipeline.startingPoint(type);
    pipeline.setStage('connecting');
    const facts = await this.sourceFacts();
    this.databases = facts.databases;
    pipeline.state.keysTotal = facts.keys;
    pipeline.state.replid = null;
    pipeline.log('info', `scan mode: reading ${serverLabel(facts.version)} at ${this.address} by SCAN and DUMP `
      + `(${hasFeature(facts.version, 'expireTime') ? 'PEXPIRETIME' : 'PTTL'}), changes by keyspace notifications; `
      + 'no source offset is kept, so a task started again scans again');
    this.expireTime = hasFeature(facts.version, 'expireTime');
    this.fieldTtl = hasFeature(facts.version, 'fieldTtl');
    this.clusterNode = facts.cluster;
    this.reads = this.newReads();
    await this.reads.open();
    pipeline.log('info', `keys are read with ${this.reads.how}`);
    // A full-only task follows key events too where the source has them on: its reads need not be atomic
    // (cheaper for the source), and the keys changed during the scan are read again before it completes.
    if (type !== 'full' || facts.notifications) {
      await this.subscribe();
      this.following = true;
      await this.watchFlushes();
    }
    if (type !== 'incremental') {
      await pipeline.fullMigration({ chunks: this.snapshot(facts.version), size: () => null, replid: null, offset: 0, after: () => this.bigKeyReads(), noChecksum: true }, type);
      if (pipeline.stopping) return this.end();
      if (type === 'full') {
        if (this.following) await this.drainChanges();
        if (pipeline.stopping) return this.end();
        pipeline.setStage('completed');
        return;
      }
    }
    pipeline.setStage(pipeline.paused ? 'paused' : 'incremental');
    await pipeline.applyStream(this.changes(), { offset: 0, db: 0 }, {
      sourceDatabases: this.databases,
      heartbeatKey: heartbeatKeyFor(pipeline.options.taskId),
      onHeartbeat: () => undefined,
    });
    if (pipeline.writer.failed) throw pipeline.writer.failed;
    await this.end();
  }

  private async end(): Promise<void> {
    await this.pipeline.flush();
    this.pipeline.setStage('ended');
  }

  private newReads(): SourceReads {
    return new SourceReads({
      source: this.source,
      connections: this.opts.connections,
      expireTime: this.expireTime,
      cluster: this.clusterNode,
      bigKeyBytes: this.pipeline.options.hooks?.bigKeyThreshold ?? DEFAULT_BIG_KEY_THRESHOLD,
      fieldTtl: this.fieldTtl,
      keysPerSecond: () => this.keysPerSecond(),
      replyTimeoutMs: this.pipeline.options.hooks?.replyTimeoutMs,
    });
  }

  /** The task's rate on the destination applies to the source's reads too (keys per second). */
  private keysPerSecond(): number {
    const o = this.pipeline.options;
    const stage = this.pipeline.state.stage;
    const throttle = stage === 'full' || stage === 'waiting-snapshot' ? o.throttle?.full : o.throttle?.incremental;
    return tighterRate(o.rps ?? 0, throttle?.rps ?? 0);
  }

  /** The source DBs the task reads: those selected, or all the source has. */
  private selectedDbs(): number[] {
    return this.pipeline.filter.selectedDbs()?.filter((db) => db < this.databases)
      ?? Array.from({ length: this.databases }, (_, i) => i);
  }

  // ---- the source's facts and settings -------------------------------------------------

  private async sourceFacts(): Promise<{ version: ServerVersion; keys: number; databases: number; cluster: boolean; notifications: boolean }> {
    const client = await new ControlClient(this.source, 'source').open();
    try {
      const server = await client.call(['INFO', 'server']);
      if (server instanceof RespErrorReply) throw new SyncError('SOURCE_INFO', `the source ${this.address} refused INFO: ${server.message}`);
      const version = parseServerVersion(String(server));
      const keyspace = await client.call(['INFO', 'keyspace']);
      let keys = 0;
      let highest = -1;
      if (!(keyspace instanceof RespErrorReply)) {
        for (const m of String(keyspace).matchAll(/^db(\d+):keys=(\d+)/gm)) {
          const db = Number(m[1]);
          highest = Math.max(highest, db);
          if (this.pipeline.filter.acceptsDb(db)) keys += Number(m[2]);
        }
      }
      // CONFIG is often refused (managed services): Redis's default then, or more if INFO shows a higher DB.
      const config = await client.call(['CONFIG', 'GET', 'databases']);
      const configured = Array.isArray(config) && config[1] !== undefined ? Number(String(config[1])) : NaN;
      // A cluster node has DB 0 only (SELECT is refused there).
      const cluster = /^redis_mode:cluster/m.test(String(server)) || /^server_mode:cluster/m.test(String(server));
      const databases = cluster ? 1 : Math.max(Number.isInteger(configured) && configured > 0 ? configured : 16, highest + 1);
      // A full-only task does not change the source's settings: it follows key events only where they are on.
      const notifications = this.pipeline.options.type !== 'full'
        ? (await this.checkNotifications(client), true)
        : (await checkNotifySetting(client)).state === 'ok';
      return { version, keys, databases, cluster, notifications };
    } finally {
      client.close();
    }
  }

  /** notify-keyspace-events must carry key events of every class: set where CONFIG allows it, else required. */
  private async checkNotifications(client: ControlClient): Promise<void> {
    const check = await checkNotifySetting(client);
    if (check.state === 'ok') return;
    if (check.state === 'unknown') {
      this.pipeline.log('warn', `cannot read notify-keyspace-events on the source ${this.address} (${check.reason}): it must include E and A `
        + '(key events of every class, e.g. "KEA" or "EA"), set in the service\'s parameter group; without it the task sees no change after the scan');
      return;
    }
    const set = await client.call(['CONFIG', 'SET', 'notify-keyspace-events', check.wanted]);
    if (set instanceof RespErrorReply) {
      throw new SyncError('NOTIFICATIONS_OFF', `the source ${this.address} has notify-keyspace-events "${check.current}", which misses key events, `
        + `and refused CONFIG SET: ${set.message}`, `set notify-keyspace-events to "${check.wanted}" on the source (the service's parameter group), then start the task again`);
    }
    this.pipeline.log('info', `set notify-keyspace-events on the source from "${check.current}" to "${check.wanted}" (scan mode follows key events)`);
  }

  // ---- notifications -------------------------------------------------------------------

  private async subscribe(): Promise<void> {
    const filter = this.pipeline.filter;
    const subscriber = new KeyeventSubscriber({
      source: this.source,
      dbs: filter.selectedDbs(),
      pingMs: this.opts.pingMs,
      onEvent: (e) => {
        if (filter.acceptsDb(e.db) && filter.acceptsKey(e.key)) this.queue.add(e.db, e.key);
      },
      onLost: (err) => {
        if (this.closed || this.pipeline.stopping) return;
        this.pipeline.log('warn', `${describeError(err)}: changes made from now until it is back are not seen; subscribing again, then re-scanning`);
        void this.resubscribe();
      },
    });
    await subscriber.start();
    if (this.closed) subscriber.close(); // the task ended while it subscribed
    this.subscriber = subscriber;
  }

  /** Subscribes again (backing off), then re-scans every selected DB: what changed meanwhile was not seen. */
  private async resubscribe(): Promise<void> {
    // A re-scan is due from now: the delay counts from the loss, not from the re-subscription.
    this.rescanSince ||= Date.now();
    let wait = RESUBSCRIBE_FIRST_MS;
    const deadline = Date.now() + (this.pipeline.options.connectionRetryMs ?? 10 * 60_000);
    while (!this.closed && !this.pipeline.stopping) {
      try {
        await this.subscribe();
        this.rescan(this.selectedDbs(), 'the keyspace notification subscription was lost');
        return;
      } catch (err) {
        if (Date.now() > deadline) {
          this.pipeline.log('error', `gave up subscribing again to the source ${this.address}: ${describeError(err)}`);
          this.failure = new SyncError('SUBSCRIPTION_LOST', `the keyspace notifications of the source ${this.address} could not be subscribed again: ${describeError(err)}`,
            'the retry time for failed connections ran out; check the source, then start the task again');
          this.queue.wake();
          return;
        }
        await sleep(wait);
        wait = Math.min(wait * 2, RESUBSCRIBE_MAX_MS);
      }
    }
  }

  /** Why the incremental stage must end (the subscription could not be restored). */
  private failure?: SyncError;

  private rescan(dbs: readonly number[], reason: string): void {
    for (const db of dbs) if (!this.rescans.has(db)) this.rescans.set(db, reason);
    this.rescanSince ||= Date.now();
    this.queue.wake();
  }

  /** FLUSHDB, FLUSHALL and SWAPDB emit no key event: their counts in INFO commandstats say they ran. */
  private async watchFlushes(): Promise<void> {
    let client: ControlClient | undefined = await new ControlClient(this.source, 'source').open();
    this.flushClient = client;
    const read = async (): Promise<FlushCounts | undefined> => {
      // A broken connection is opened again at the next look (the counts survive it; a restart lowers them).
      client ??= this.flushClient = await new ControlClient(this.source, 'source').open();
      try {
        const reply: RespValue = await client.call(['INFO', 'commandstats']);
        return reply instanceof RespErrorReply ? undefined : parseFlushCounts(String(reply));
      } catch (err) {
        client.close();
        client = undefined;
        throw err;
      }
    };
    this.flushCounts = await read().catch(() => undefined);
    if (!this.flushCounts) {
      this.pipeline.log('warn', `the source ${this.address} refused INFO commandstats: a FLUSHDB, FLUSHALL or SWAPDB there would go unseen `
        + '(they emit no key event); run a Full Data Verification after one');
      return;
    }
    let busy = false;
    this.flushWatch = setInterval(() => {
      if (busy || this.closed) return;
      busy = true;
      read().then((now) => {
        const before = this.flushCounts;
        if (!now || !before) return;
        this.flushCounts = now;
        const ran = (['flushdb', 'flushall', 'swapdb'] as const).filter((c) => now[c] > before[c]);
        // A CONFIG RESETSTAT (or a restart) lowers the counts: a new baseline, nothing ran.
        if (ran.length > 0) {
          this.pipeline.log('warn', `${ran.map((c) => c.toUpperCase()).join(', ')} ran on the source (seen in INFO commandstats; no key event carries it): `
            + 're-scanning the selected DBs and deleting on the destination the keys the source no longer holds');
          this.rescan(this.selectedDbs(), `${ran.join(', ')} ran on the source`);
        }
      }, () => undefined).finally(() => { busy = false; });
    }, this.opts.flushWatchMs ?? 1000);
    this.flushWatch.unref();
  }

  // ---- full migration ------------------------------------------------------------------

  /** The selected DBs as an RDB stream of DUMP payloads, a bounded number of SCAN batches read at once. */
  private async *snapshot(version: ServerVersion): AsyncGenerator<Buffer> {
    const reads = this.reads!;
    const pipeline = this.pipeline;
    let headerDone = false;
    const header = (first: Buffer | null | undefined): Buffer => {
      headerDone = true;
      const v = first ? payloadVersion(first) : rdbVersionOf(version);
      return rdbHeader(magicOfVersion(v), v);
    };
    // Functions first, as in a snapshot: a FUNCTION DUMP payload is RDB function records and the DUMP trailer.
    const functions = hasFeature(version, 'functions') ? await reads.functions() : null;
    if (functions) {
      yield header(functions);
      yield functions.subarray(0, functions.length - 10);
    }
    // Read after subscribing: a DB without volatile keys then needs no PEXPIRETIME (a TTL set later is an `expire` event).
    const volatile = this.following ? await reads.volatileKeys() : undefined;
    let plain = 0;
    for (const db of this.selectedDbs()) {
      if (pipeline.stopping) break;
      let selected = false;
      const expiry = volatile?.get(db) !== 0;
      if (!expiry) plain++;
      // While notifications are followed a read need not be atomic: a write in between is an event, and the key is read again.
      const how = { big: true, strings: true, atomic: !this.following, expiry };
      const accepts = (buf: Buffer, start: number, len: number) => pipeline.filter.acceptsKeyAt(buf, start, len);
      for await (const got of new ReadAhead(reads, db, accepts, READS_IN_FLIGHT, how)) {
        if (!headerDone) yield header(got.reads.find((r) => r.payload)?.payload);
        if (!selected) {
          selected = true;
          yield selectDbRecord(db);
        }
        for (const r of got.reads) if (r.big) this.bigKeys.push({ db, key: r.key });
        if (got.records && got.records.length > 0) yield got.records;
        yield keyRecords(got.reads);
        if (pipeline.stopping) break;
      }
    }
    if (plain > 0) pipeline.log('info', `${plain} DB(s) held no key with an expiry when the scan began: read without PEXPIRETIME (a TTL set since arrives as an expire event and is read again)`);
    if (!headerDone) yield header(undefined);
    yield rdbEof();
  }

  /** The full migration's big keys, each read in windows of its type's own commands (big-keys.ts), as parser events. */
  private async *bigKeyReads(): AsyncGenerator<RdbEvent> {
    const keys = this.bigKeys;
    this.bigKeys = [];
    if (keys.length === 0) return;
    this.pipeline.log('info', `${keys.length} key(s) over the big-key threshold: read in windows of their type's own commands `
      + '(a write to one meanwhile is a key event, and it is read again)');
    const source = this.reads!.bigKeySource();
    for (const { db, key } of keys) {
      if (this.pipeline.stopping) return;
      yield* bigKeyEvents(source, db, key);
    }
  }

  /**
   * A full-only task that followed key events: the keys changed during its scan (and any re-scan due) are
   * read and written again, once, until nothing waits; then the subscription ends.
   */
  private async drainChanges(): Promise<void> {
    await this.subscriber?.caughtUp();
    const waiting = this.queue.size + this.rescans.size;
    await this.pipeline.applyStream(this.changes(true), { offset: 0, db: 0 }, {
      sourceDatabases: this.databases,
      heartbeatKey: heartbeatKeyFor(this.pipeline.options.taskId),
      onHeartbeat: () => undefined,
    });
    if (this.pipeline.writer.failed) throw this.pipeline.writer.failed;
    await this.pipeline.forgetRecord(); // written again by the units of the re-reads
    this.pipeline.log('info', `the keys changed during the scan were read again (${waiting} waiting when it ended): the full migration is complete`);
    await this.close();
  }

  // ---- incremental ---------------------------------------------------------------------

  /**
   * Batches of commands: the changed keys read again, and the re-scans due. `untilDrained`: only the keys
   * and re-scans waiting now (a source written without pause would otherwise never let it end).
   */
  private async *changes(untilDrained = false): AsyncGenerator<StreamCommand[]> {
    const writer = new ChangeWriter(this.pipeline.writer.destination, this.pipeline.writer.masters !== undefined);
    let left = untilDrained ? this.queue.size : Infinity;
    while (!this.pipeline.stopping && !this.closed) {
      if (this.failure) throw this.failure;
      if (untilDrained && left <= 0 && this.rescans.size === 0) return;
      try {
        left -= yield* this.nextChanges(writer, left);
      } catch (err) {
        // A broken source connection: opened again, and every selected DB re-scanned (the keys being read are among them).
        if (!(err instanceof NetError) || this.pipeline.writer.failed || this.closed || this.pipeline.stopping) throw err;
        this.working = 0;
        await this.reopenReads(err);
      }
    }
  }

  /** One step: the re-scans due, or a batch of at most `limit` changed keys, or (nothing waiting) an empty batch; returns the keys taken. */
  private async *nextChanges(writer: ChangeWriter, limit = Infinity): AsyncGenerator<StreamCommand[], number> {
    if (this.rescans.size > 0) {
      yield* this.runRescan(writer);
      return 0;
    }
    const batch = this.queue.take(Math.max(1, Math.min(CHANGE_BATCH, limit)));
    if (batch.length === 0) {
      // Nothing waits: an empty batch lets the applier close its unit and see End.
      await this.queue.wait(250);
      yield [];
      return 0;
    }
    const byDb = new Map<number, Buffer[]>();
    for (const k of batch) {
      const keys = byDb.get(k.db) ?? [];
      keys.push(k.key);
      byDb.set(k.db, keys);
    }
    // Taken from the queue but not yet handed to the writer: still part of the delay.
    this.working = batch[0]!.since;
    const out: StreamCommand[] = [];
    for (const [db, keys] of byDb) {
      const reads = await this.reads!.read(db, keys);
      this.stamp(out, await writer.commands(db, reads));
    }
    yield out;
    this.working = 0;
    return batch.length;
  }

  /** The key reads' connections again, backing off within the retry time for failed connections; then a re-scan of every selected DB. */
  private async reopenReads(err: unknown): Promise<void> {
    this.pipeline.log('warn', `${describeError(err)}; reconnecting to the source, then re-scanning (changes meanwhile are read by the re-scan)`);
    this.rescanSince ||= Date.now();
    this.reads?.close();
    const deadline = Date.now() + (this.pipeline.options.connectionRetryMs ?? 10 * 60_000);
    let wait = RESUBSCRIBE_FIRST_MS;
    for (;;) {
      const reads = this.newReads();
      try {
        await reads.open();
        this.reads = reads;
        this.rescan(this.selectedDbs(), 'the connection to the source broke');
        return;
      } catch (e) {
        reads.close();
        if (Date.now() > deadline || this.closed || this.pipeline.stopping) {
          throw new SyncError('RETRY_EXHAUSTED', `gave up reconnecting to the source ${this.address}: ${describeError(e)}`,
            'the retry time for failed connections ran out; check the source, then start the task again');
        }
        await sleep(wait);
        wait = Math.min(wait * 2, RESUBSCRIBE_MAX_MS);
      }
    }
  }

  private stamp(out: StreamCommand[], commands: Buffer[][]): StreamCommand[] {
    for (const argv of commands) {
      for (const a of argv) this.offset += a.length;
      out.push({ argv, offset: this.offset });
    }
    return out;
  }

  /** Every key of the DBs due read again; then keys the destination holds and the source does not, deleted. */
  private async *runRescan(writer: ChangeWriter): AsyncGenerator<StreamCommand[]> {
    const dbs = [...this.rescans.keys()].sort((a, b) => a - b);
    const reasons = [...new Set(this.rescans.values())];
    this.rescans.clear();
    this.pipeline.log('warn', `re-scanning source DB(s) ${dbs.join(', ')}: ${reasons.join('; ')}`);
    const reads = this.reads!;
    let rewritten = 0;
    let deleted = 0;
    for (const db of dbs) {
      let cursor = '0';
      do {
        const step = await reads.scan(db, cursor);
        cursor = step.cursor;
        const keys = step.keys.filter((k) => this.pipeline.filter.acceptsKey(k));
        if (keys.length === 0) continue;
        const got = await reads.read(db, keys);
        rewritten += got.filter((r) => r.payload).length;
        yield this.stamp([], await writer.commands(db, got));
      } while (cursor !== '0' && !this.pipeline.stopping && !this.closed);
    }
    for await (const commands of this.sweep(dbs)) {
      deleted += commands[1]!.length - 1;
      yield this.stamp([], commands);
    }
    this.rescanSince = this.rescans.size > 0 ? this.rescanSince : 0;
    this.pipeline.log('info', `re-scan of source DB(s) ${dbs.join(', ')} done: ${rewritten} key(s) written again, `
      + `${deleted} key(s) the source no longer holds deleted on the destination`);
  }

  /**
   * Keys of the destination DBs these source DBs map to that no source DB mapped there
   * holds (a FLUSHDB, a SWAPDB, deletes while unsubscribed): `DEL` commands, in the first
   * such source DB's numbering, preceded by its SELECT.
   */
  private async *sweep(dbs: readonly number[]): AsyncGenerator<Buffer[][]> {
    const pipeline = this.pipeline;
    const filter = pipeline.filter;
    if (pipeline.writer.masters !== undefined) {
      if (!this.sweepWarned) {
        this.sweepWarned = true;
        pipeline.log('warn', 'the destination is a cluster: a re-scan writes every source key again but does not look for keys the source no longer '
          + 'holds; a Full Data Verification lists them as extra keys');
      }
      return;
    }
    // Everything written so far is on the destination before it is looked at.
    await pipeline.writer.flush();
    const dest = await new ControlClient(pipeline.options.target, 'destination').open();
    try {
      const targets = [...new Set(dbs.map((db) => filter.mapDb(db)))];
      for (const to of targets) {
        const from = this.selectedDbs().filter((db) => filter.mapDb(db) === to);
        const selectAs = Buffer.from(String(from[0]));
        const sel = await dest.call(['SELECT', to]);
        if (sel instanceof RespErrorReply) continue;
        let cursor = '0';
        do {
          const reply = await dest.call(['SCAN', cursor, 'COUNT', 1000]);
          if (!Array.isArray(reply) || !Array.isArray(reply[1])) break;
          cursor = String(reply[0]);
          // A cluster source's shard answers only for its own slots: other shards' keys are theirs to judge.
          const keys = (reply[1] as RespValue[]).filter((k): k is Buffer => Buffer.isBuffer(k) && filter.acceptsKey(k) && this.inShard(k));
          if (keys.length === 0) continue;
          let missing = keys;
          for (const db of from) {
            if (missing.length === 0) break;
            const exists = await this.reads!.existing(db, missing);
            missing = missing.filter((_, i) => !exists[i]);
          }
          if (missing.length > 0) yield [[Buffer.from('SELECT'), selectAs], [Buffer.from('DEL'), ...missing]];
        } while (cursor !== '0' && !pipeline.stopping && !this.closed);
      }
    } finally {
      dest.close();
    }
  }
  private inShard(key: Buffer): boolean {
    const slots = this.pipeline.slots;
    if (!slots) return true;
    const slot = keySlot(key);
    return slots.some(([a, b]) => slot >= a && slot <= b);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
