/**
 * A task in Replication relay mode (issue 20): the destination replicates the source through
 * the engine (relay-server.ts), so it loads the snapshot and applies the stream as a native
 * replica does, at a native replica's speed, while the engine still sees every byte.
 *
 * The task checks what relaying needs (no filter that changes data, a standalone destination that
 * reads the source's RDB version and accepts CONFIG SET and REPLICAOF, no keys of its own under
 * Precheck And Block — a replica's full sync replaces its whole dataset), points the destination at
 * the relay (`masterauth` = a password of the engine's, `REPLICAOF <relay>`), reports progress from
 * the relay and the destination's INFO, and on End (or, for a full-only task, once the destination
 * has loaded the snapshot and acknowledged its offset) detaches it with `REPLICAOF NO ONE` and
 * gives `masterauth`/`masteruser` back.
 *
 * The checkpoint is the destination's own replication offset: a task started again after the engine
 * died finds the destination still following this source's history and takes it over (the
 * destination asks `PSYNC <replid> <offset>`; the source answers +CONTINUE).
 */
import { EventEmitter } from 'node:events';
import { DtsError } from '../errors';
import { endpointAddress } from '../endpoint';
import { ControlClient, NetError } from '../net/socket';
import { RetryPolicy } from '../writer/retry';
import { parseInfo, type InfoFields } from '../precheck/info';
import { RespErrorReply, type RespValue } from '../resp';
import type { SyncOptions, SyncProgress, SyncRunner, SyncStage, SyncTaskEvents } from '../sync/types';
import { applyRelaySettings, restoreDestination, unwrapRelayPassword, wrapRelayPassword, type DestinationSettings } from './destination-settings';
import { relayFindingFor, relayRefusal } from './relay-possible';
import { ReplicationRelay } from './relay-server';
import { describeLimits, isUnlimited, relayLimits, type RelayLimits } from './relay-throttle';

const POLL_MS = 500;
/** The destination commands a poll of a streaming task makes itself (INFO replication, INFO stats): not the stream's. */
const OWN_CALLS_PER_POLL = 2;
/** How long End waits for the destination to acknowledge the source's last offset. */
const DRAIN_MS = 10_000;

export class RelayError extends DtsError {}

export class RelayTask extends EventEmitter<SyncTaskEvents> implements SyncRunner {
  private readonly relay: ReplicationRelay;
  private stage: SyncStage = 'connecting';
  private stopping = false;
  private stopped?: () => void;
  private source?: ControlClient;
  private destination?: ControlClient;
  /** Where the destination is pointed (REPLICAOF host port). */
  private listenAt?: { host: string; port: number };
  /** The destination's masterauth and masteruser before the task, given back on detach. */
  private saved?: DestinationSettings;
  private keysTotal = 0;
  private lastProgress: SyncProgress;
  private failingSince?: number;
  /** What the rates are measured from: the last poll's time, bytes relayed and records (keys counted, commands applied). */
  private rateBase?: { at: number; bytes: number; keys: number; commands: number | null };
  private rates = { rps: 0, bytesPerSecond: 0 };
  private commandsApplied = 0;
  private readonly limits: RelayLimits;

  constructor(private readonly opts: SyncOptions) {
    super();
    const refusal = relayRefusal(opts);
    if (refusal) throw new RelayError('RELAY_NOT_POSSIBLE', refusal, 'use the Commands write method (--write commands)');
    this.relay = new ReplicationRelay({ source: opts.source!, listenHost: opts.relay?.host, listenPort: opts.relay?.port, tls: opts.relay?.tls });
    this.relay.on('log', (level, message) => this.emit('log', level, message));
    this.limits = relayLimits(opts.rps, opts.throttle);
    this.relay.setLimits(this.limits);
    this.relay.on('session', (s) => {
      this.emit('log', 'info', s.kind === 'full'
        ? `the source sends the destination a full snapshot (replication id ${s.replid}, offset ${s.offset})`
        : `the destination continues by partial resync from offset ${s.offset} (replication id ${s.replid})`);
    });
    this.lastProgress = this.snapshot();
  }

  get progress(): SyncProgress {
    return this.lastProgress.stage === this.stage ? this.lastProgress : { ...this.lastProgress, stage: this.stage };
  }

  async run(): Promise<void> {
    const source = (this.source = await new ControlClient(this.opts.source!, 'source').open());
    this.destination = await new ControlClient(this.opts.target, 'destination').open();
    // The destination's connection is replaced when it breaks (reconnectDestination): always the current one.
    const destination = () => this.destination!;
    try {
      await this.check(source, destination());
      const port = await this.relay.listen();
      const host = this.opts.relay?.announceHost ?? this.opts.relay?.host ?? '127.0.0.1';
      this.listenAt = { host, port };
      await this.attach(destination(), host, port);
      this.emit('log', 'info', `the destination ${endpointAddress(this.opts.target)} replicates the source ${endpointAddress(this.opts.source!)} through the engine at ${host}:${port}; it is read-only until the task ends`
        + (this.saved?.disklessLoad ? ', and loads the snapshot as it arrives (repl-diskless-load on-empty-db until then)' : ''));
      if (!isUnlimited(this.limits)) this.emit('log', 'info', `throttled: ${describeLimits(this.limits)}; the source holds what waits, as it does for a slow replica`);
      await this.follow(source);
      if (this.stopping) await this.drain(source);
      await this.detach(destination());
      this.setStage(this.stopping ? 'ended' : 'completed');
    } catch (err) {
      await this.detach(destination()).catch(() => undefined);
      this.setStage('failed');
      throw err;
    } finally {
      await this.relay.close();
      source.close();
      destination().close();
      this.lastProgress = this.snapshot();
      this.emit('progress', this.lastProgress);
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.stopped?.();
  }

  private paused = false;

  /** Stops passing the source's bytes on (the destination stays a replica, its link idle). */
  async pause(): Promise<void> {
    this.paused = true;
    this.relay.pause();
    this.setStage('paused');
    this.emit('log', 'info', 'paused: the source holds its stream until the task resumes');
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.relay.resume();
    this.emit('log', 'info', 'resumed');
  }

  /** New limits while running: the current stage's apply to the next bytes read. */
  setLimits(limits: Pick<SyncOptions, 'rps' | 'throttle'>): void {
    const next = relayLimits(limits.rps, limits.throttle);
    this.relay.setLimits(next);
    this.emit('log', 'info', `new limits: ${describeLimits(next)}`);
  }

  private async check(source: ControlClient, destination: ControlClient): Promise<void> {
    const finding = await relayFindingFor(source, destination, this.opts);
    const first = finding.obstacles[0];
    if (first) throw new RelayError('RELAY_NOT_POSSIBLE', first.reason.replace(/\.$/, ''), first.fix);
    for (const w of finding.warnings) this.emit('log', 'warn', w);
    if (finding.takeover) {
      this.emit('log', 'info', 'the destination already follows this source\'s replication history (an earlier run of the task): it is taken over and continues by partial resync');
    }
    this.keysTotal = finding.sourceKeys;
  }

  private async attach(destination: ControlClient, host: string, port: number): Promise<void> {
    const config = async (argv: string[]): Promise<RespValue> => {
      const reply = await destination.call(argv);
      if (reply instanceof RespErrorReply) {
        throw new RelayError('RELAY_REFUSED', `the destination refused ${argv[0] === 'CONFIG' ? argv.slice(0, 3).join(' ') : argv[0]}: ${reply.message}`,
          'Replication relay needs CONFIG SET and REPLICAOF on the destination (managed services usually refuse them); use the Commands write method');
      }
      return reply;
    };
    const get = async (name: string): Promise<string | undefined> => {
      const reply = await config(['CONFIG', 'GET', name]);
      return Array.isArray(reply) && reply.length >= 2 ? String(reply[1]) : undefined;
    };
    const current = {
      masterauth: (await get('masterauth')) ?? '', masteruser: (await get('masteruser')) || undefined, disklessLoad: await get('repl-diskless-load'),
    };
    // A run of this task that died left its own password there, with the user's settings inside it.
    const saved: DestinationSettings = unwrapRelayPassword(current.masterauth) ?? { masterauth: current.masterauth, masteruser: current.masteruser };
    if (this.opts.relay?.tls && saved.tlsReplication === undefined) {
      const tlsReplication = await get('tls-replication');
      if (tlsReplication === undefined) {
        throw new RelayError('RELAY_NOT_POSSIBLE', 'the destination has no TLS (no tls-replication setting) but the relay listens with TLS',
          'give the destination TLS (tls-ca-cert-file trusting the relay\'s certificate), or run the relay without --relay-tls-cert');
      }
      saved.tlsReplication = tlsReplication;
    }
    // Loading the snapshot as it arrives (destination-settings.ts); a server without the setting (before 6.0) loads from disk.
    if (saved.disklessLoad === undefined && current.disklessLoad === 'disabled') saved.disklessLoad = current.disklessLoad;
    this.saved = saved;
    this.relay.password = wrapRelayPassword(saved);
    await applyRelaySettings(config, saved, current, this.relay.password, Boolean(this.opts.relay?.tls));
    await config(['REPLICAOF', host, String(port)]);
  }

  /** REPLICAOF NO ONE and the destination's own settings back: it never stays pointed at the engine. */
  private async detach(destination: ControlClient): Promise<void> {
    if (!this.saved) return;
    await restoreDestination((argv) => destination.call(argv), this.saved);
    this.saved = undefined;
    this.emit('log', 'info', 'the destination is a master again (REPLICAOF NO ONE)');
  }

  /** Reports progress until the task ends: on stop(), for a full-only task once the snapshot is loaded and acknowledged. */
  private async follow(source: ControlClient): Promise<void> {
    const retryMs = this.opts.connectionRetryMs ?? 600_000;
    let snapshotLoadedAt: number | undefined;
    while (!this.stopping) {
      const dst = await this.destinationReplication();
      if (!dst) continue;
      const destination = this.destination!;
      const linkUp = dst.master_link_status === 'up';
      const relay = this.relay.progress;
      if (this.paused) {
        this.setStage('paused');
      } else if (linkUp && relay.stage === 'stream') {
        this.failingSince = undefined;
        this.setStage('incremental');
        if (this.opts.type === 'full') {
          // Done once the destination acknowledged at least the snapshot's offset and the stream up to now.
          const srcOffset = Number(parseInfo(String(await source.call(['INFO', 'replication']))).master_repl_offset ?? 0);
          snapshotLoadedAt ??= srcOffset;
          if (relay.ackedOffset >= snapshotLoadedAt) {
            this.lastProgress = this.snapshot(dst);
            this.emit('progress', this.lastProgress);
            return;
          }
        }
      } else if (relay.stage === 'snapshot' || relay.stage === 'waiting-snapshot' || dst.master_sync_in_progress === '1' || (linkUp === false && relay.stage === 'stream')) {
        this.setStage(relay.stage === 'waiting-snapshot' ? 'waiting-snapshot' : 'full');
      }
      if (!this.relay.connected && this.relay.consecutiveSourceFailures > 0) {
        this.failingSince ??= Date.now();
        if (Date.now() - this.failingSince > retryMs) {
          throw new RelayError('SOURCE_UNREACHABLE', `the source could not be reached for ${Math.round(retryMs / 1000)} s: ${String((this.relay.lastSourceError as Error)?.message ?? this.relay.lastSourceError)}`,
            'check the source, then start the task again: the destination continues by partial resync where its offset allows');
        }
      }
      await this.measureRates(destination);
      this.lastProgress = this.snapshot(dst);
      this.emit('progress', this.lastProgress);
      if (relay.replid && relay.ackedOffset > 0) {
        this.emit('checkpoint', { shard: endpointAddress(this.opts.source!), replid: relay.replid, offset: relay.ackedOffset, db: 0 });
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, POLL_MS);
        this.stopped = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /**
   * Before End detaches the destination: waits until it has acknowledged the source's offset as of now
   * (a replica acknowledges about once a second), so it holds every write made before the End.
   */
  private async drain(source: ControlClient): Promise<void> {
    if (!this.relay.connected || this.relay.progress.stage !== 'stream') return;
    const target = Number(parseInfo(String(await source.call(['INFO', 'replication']))).master_repl_offset ?? 0);
    // Waited for as long as its acknowledgements advance (a throttled stream drains at its rate), else DRAIN_MS.
    let deadline = Date.now() + DRAIN_MS;
    let acked = this.relay.progress.ackedOffset;
    while (this.relay.progress.ackedOffset < target && this.relay.connected && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      if (this.relay.progress.ackedOffset > acked) {
        acked = this.relay.progress.ackedOffset;
        deadline = Date.now() + DRAIN_MS;
      }
    }
    const left = target - this.relay.progress.ackedOffset;
    if (left > 0) this.emit('log', 'warn', `ended with ${left} bytes of the source's stream not acknowledged by the destination`);
    else this.emit('log', 'info', `the destination acknowledged the source's offset ${target}: it holds every write made before the End`);
  }

  /** The destination's INFO replication; undefined after its connection broke and was made again (the loop looks afresh). */
  private async destinationReplication(): Promise<InfoFields | undefined> {
    try {
      return parseInfo(String(await this.destination!.call(['INFO', 'replication'])));
    } catch (err) {
      if (!(err instanceof NetError)) throw err;
      await this.reconnectDestination(err);
      return undefined;
    }
  }

  /**
   * The destination's connection broke: it is made again for as long as the task retries a broken link,
   * with the writers' retry policy (engine/writer/retry.ts: waits from 200 ms doubling to 5 s). A destination back as a replica of the engine (the link broke, the server did not) goes
   * on; one back as a master (it restarted and forgot REPLICAOF) is pointed at the engine again and asks
   * the source, through it, for what it lacks — a partial resync when its own copy kept the offset, else a
   * full one. One that replicates something else now was taken by someone: the task fails saying so.
   */
  private async reconnectDestination(cause: NetError): Promise<void> {
    const policy = new RetryPolicy(this.opts);
    const retryMs = policy.budgetMs('connection');
    const attempt = policy.attempt('connection');
    const address = endpointAddress(this.opts.target);
    this.destination?.close();
    this.setStage('retrying');
    this.emit('log', 'warn', `the connection to the destination ${address} broke (${cause.message}): reconnecting for up to ${Math.round(retryMs / 60_000)} min; the source holds its stream meanwhile`);
    for (;;) {
      try {
        const client = await new ControlClient(this.opts.target, 'destination').open();
        this.destination = client;
        const repl = parseInfo(String(await client.call(['INFO', 'replication'])));
        const at = this.listenAt!;
        if (repl.role === 'master') {
          await this.attach(client, at.host, at.port);
          this.emit('log', 'info', `the destination ${address} is back as a master (it restarted and forgot REPLICAOF): it replicates through the engine again and asks the source for what it lacks`);
        } else if (repl.master_port !== String(at.port)) {
          throw new RelayError('DESTINATION_TAKEN', `the destination ${address} now replicates ${repl.master_host}:${repl.master_port}, not the engine (${at.host}:${at.port}): something else pointed it there`,
            'find out what changed it; start the task again to take it back (its data is replaced or continued from its offset)');
        } else {
          this.emit('log', 'info', `the destination ${address} is reachable again; it still replicates through the engine`);
        }
        return;
      } catch (err) {
        if (!(err instanceof NetError)) throw err;
        if (this.stopping) throw err;
        if (attempt.expired) {
          throw new RelayError('DESTINATION_UNREACHABLE', `the destination ${address} could not be reached for ${Math.round(retryMs / 1000)} s: ${err.message}`,
            'check the destination, then start the task again: it continues by partial resync where its offset allows');
        }
        await attempt.pause();
      }
    }
  }

  /**
   * Rates over the last poll: bytes sent to the destination per second; records per second — the snapshot's keys as counted,
   * then the commands the destination processed (INFO stats, less this task's own INFO calls of a poll):
   * the engine does not parse a relayed stream, the destination counts what it applies.
   */
  private async measureRates(destination: ControlClient): Promise<void> {
    const r = this.relay.progress;
    const streaming = r.stage === 'stream';
    // A broken connection is the next INFO replication's to handle: no rate this time.
    const processed = streaming
      ? await destination.call(['INFO', 'stats']).then((reply) => Number(parseInfo(String(reply)).total_commands_processed ?? NaN), () => NaN)
      : NaN;
    const now = Date.now();
    const base = this.rateBase;
    const next = { at: now, bytes: r.bytesSent, keys: r.snapshotKeys ?? 0, commands: Number.isFinite(processed) ? processed : null };
    this.rateBase = next;
    if (!base || now <= base.at) return;
    const seconds = (now - base.at) / 1000;
    let records = 0;
    if (streaming && next.commands !== null && base.commands !== null) {
      records = Math.max(0, next.commands - base.commands - OWN_CALLS_PER_POLL);
      this.commandsApplied += records;
    } else if (!streaming) records = Math.max(0, next.keys - base.keys);
    this.rates = { rps: records / seconds, bytesPerSecond: Math.max(0, next.bytes - base.bytes) / seconds };
  }

  private setStage(stage: SyncStage): void {
    if (this.stage === stage) return;
    this.stage = stage;
    this.emit('stage', stage);
  }

  private snapshot(dst?: InfoFields): SyncProgress {
    const r = this.relay.progress;
    const total = r.snapshotTotal ?? (dst?.master_sync_total_bytes && Number(dst.master_sync_total_bytes) > 0 ? Number(dst.master_sync_total_bytes) : null);
    const loaded = r.stage === 'stream';
    return {
      stage: this.stage,
      // The snapshot's keys as counted while relayed; after a partial resync (no snapshot this run), the source's.
      keysDone: loaded ? (r.fullSyncs > 0 ? r.snapshotKeys ?? this.keysTotal : this.keysTotal) : r.snapshotKeys ?? 0,
      keysTotal: this.keysTotal,
      rdbBytesDone: r.snapshotBytes,
      rdbBytesTotal: total,
      fullPercent: loaded ? 100 : total ? Math.min(99, (r.snapshotBytes / total) * 100) : 0,
      replid: r.replid,
      receivedOffset: r.sentOffset,
      checkpoint: r.replid && r.ackedOffset > 0 ? { offset: r.ackedOffset, db: 0 } : null,
      // From offsets and ACK times (a relayed stream carries no heartbeat of the engine's).
      delayMs: this.relay.refreshDelay(),
      rps: this.rates.rps,
      bytesPerSecond: this.rates.bytesPerSecond,
      commandsApplied: this.commandsApplied,
      bytesRead: r.bytesRelayed,
      // The destination's side: sessions it lost, and the sessions it asked for again after the first.
      destinationErrors: r.sessionsLost,
      destinationRetries: Math.max(0, r.fullSyncs + r.partialResyncs - 1),
      fullSyncs: r.fullSyncs,
      partialResyncs: r.partialResyncs,
      evictedKeys: 0,
    };
  }
}
