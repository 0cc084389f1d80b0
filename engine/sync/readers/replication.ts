/**
 * Reads a master by replication: the ReplicaLink's session (PSYNC, the snapshot,
 * then the stream), the heartbeat on the source that gives the delay, and the
 * reconnect policy — a broken link reconnects with PSYNC <replid> <offset+1>
 * from where the pipeline says the stream must resume, and a +FULLRESYNC runs
 * the full migration again (the pipeline clears the earlier one first).
 */
import { endpointAddress, type RedisEndpoint } from '../../endpoint';
import { describeError } from '../../errors';
import { ControlClient } from '../../net/socket';
import { LinkError } from '../../replica/errors';
import { ReplicaLink } from '../../replica/link';
import { RespErrorReply } from '../../resp';
import { RolledBackError } from '../../writer/standalone-writer';
import { SyncError } from '../errors';
import { Heartbeat } from '../heartbeat';
import type { ResumePosition } from '../types';
import type { SourceReader, SyncPipeline } from './reader';

/** Times in one run the task reads the stream again because the destination lost acknowledged writes. */
const MAX_REWINDS = 5;
const RECONNECT_FIRST_MS = 100;
const RECONNECT_MAX_MS = 5000;

export interface ReplicationSource {
  source: RedisEndpoint;
  /** Where the replica link spools the stream while the destination is slow or the task is paused. */
  spoolDir: string;
  /** Where the heartbeat is written (a cluster shard read from a replica: its master) and its key. */
  heartbeatTo: RedisEndpoint;
  heartbeatKey: string;
}

export class ReplicationReader implements SourceReader {
  private link?: ReplicaLink;
  private heartbeat?: Heartbeat;

  constructor(private readonly pipeline: SyncPipeline, private readonly from: ReplicationSource) {}

  delayMs(): number | null {
    return this.heartbeat?.delayMs() ?? null;
  }

  interrupt(): void {
    void this.link?.close();
  }

  async stop(): Promise<void> {
    await this.link?.close();
  }

  async close(): Promise<void> {
    await this.link?.close();
    await this.heartbeat?.stop();
  }

  async run(): Promise<void> {
    const pipeline = this.pipeline;
    const { source } = this.from;
    const opts = pipeline.options;
    const type = opts.type ?? 'full+incremental';
    let resume = await pipeline.startingPoint(type);
    const sourceInfo = await this.sourceFacts(source);
    pipeline.state.keysTotal = sourceInfo.keys;
    this.heartbeat = new Heartbeat(this.from.heartbeatTo, this.from.heartbeatKey, (l, m) => pipeline.log(l, m));
    await this.heartbeat.start();
    const context = {
      sourceDatabases: sourceInfo.databases,
      heartbeatKey: this.from.heartbeatKey,
      onHeartbeat: (sentAt: number) => this.heartbeat?.seen(sentAt),
    };

    let firstConnect = true;
    let rewinds = 0;
    let retryDeadline = 0;
    // The first reconnect is quick: every second away lets the source's backlog move on,
    // and a partial resync is only possible while it still holds our offset.
    let backoffMs = RECONNECT_FIRST_MS;
    while (!pipeline.stopping) {
      const link = this.openLink(resume);
      let streamDb = resume?.db ?? 0;
      let connected = false;
      let inStream = false;
      try {
        pipeline.setStage(firstConnect ? 'connecting' : 'retrying');
        const info = await link.connect();
        connected = true;
        firstConnect = false;
        retryDeadline = 0;
        backoffMs = RECONNECT_FIRST_MS;
        pipeline.state.replid = info.replid;
        if (info.mode === 'partial') {
          pipeline.state.partialResyncs++;
          pipeline.log('info', `resumed by partial resync from offset ${info.offset}`);
        } else {
          pipeline.log('info', info.mode === 'sync'
            ? 'the source only supports SYNC: full migration without resume'
            : `full resynchronization from offset ${info.offset}`);
          streamDb = await pipeline.fullMigration({
            chunks: snapshotOf(link), size: () => link.rdbInfo?.size ?? null, replid: info.replid, offset: info.offset,
          }, type);
          if (pipeline.stopping) break;
          if (type === 'full') {
            pipeline.setStage('completed');
            return;
          }
        }
        pipeline.setStage(pipeline.paused ? 'paused' : 'incremental');
        inStream = true;
        await pipeline.applyStream(link.commandBatches(), { offset: info.offset, db: streamDb }, context);
        if (pipeline.writer.failed) throw pipeline.writer.failed;
        if (pipeline.stopping) break;
        resume = this.resumeAfter(link, resume, false);
      } catch (err) {
        if (pipeline.stopping) break;
        const writerFailure = pipeline.writer.failed;
        if (writerFailure instanceof RolledBackError && rewinds++ < MAX_REWINDS) {
          // The destination lost acknowledged writes: read the stream again from what it still holds.
          pipeline.log('warn', describeError(writerFailure));
          await link.close();
          resume = await pipeline.reopenWriter();
          continue;
        }
        // The destination's refusal is the reason, not the link closed because of it.
        if (writerFailure) throw writerFailure;
        // After a first connect, what looks like wrong settings (a drop without a byte, a silent
        // port) is the network's or a restart's doing: retried like any broken link.
        const retryable = err instanceof LinkError && err.retryableOnceConnected && !firstConnect;
        if (!retryable) throw err;
        const now = Date.now();
        retryDeadline ||= now + (opts.connectionRetryMs ?? 10 * 60_000);
        if (now > retryDeadline) {
          throw new SyncError('RETRY_EXHAUSTED', `gave up reconnecting to the source ${endpointAddress(source)}: ${describeError(err)}`,
            'the retry time for failed connections ran out; check the source, then start the task again');
        }
        pipeline.log('warn', `${describeError(err)}; reconnecting`);
        // Resume only from inside the stream: a snapshot cut short must be read again in full.
        if (inStream) resume = this.resumeAfter(link, resume, true);
        else if (connected) resume = undefined;
        await link.close();
        await sleep(backoffMs);
        backoffMs = Math.min(backoffMs * 2, RECONNECT_MAX_MS);
      }
    }
    // Ended: write everything already read, then stop.
    await pipeline.flush();
    pipeline.setStage('ended');
  }

  private openLink(resume: ResumePosition | undefined): ReplicaLink {
    const { source, spoolDir } = this.from;
    this.link = new ReplicaLink({
      host: source.host,
      port: source.port,
      username: source.username,
      password: source.password,
      tls: source.tls,
      audience: source.audience,
      spoolDir,
      resume: resume ? { replid: resume.replid, offset: resume.offset } : undefined,
      timeoutMs: this.pipeline.options.hooks?.linkTimeoutMs,
    });
    return this.link;
  }

  /** Where a broken stream continues: the pipeline's resume point (before a transaction cut in two). */
  private resumeAfter(link: ReplicaLink, before: ResumePosition | undefined, broken: boolean): ResumePosition | undefined {
    const at = this.pipeline.streamResumePoint;
    if (!link.replid || !at || (broken && !link.canResume)) return broken ? before : undefined;
    return { replid: link.replid, offset: at.offset, db: at.db };
  }

  /** Keys in the selected DBs (for the progress bar) and the source's number of DBs (for FLUSHALL). */
  private async sourceFacts(source: RedisEndpoint): Promise<{ keys: number; databases: number }> {
    const client = await new ControlClient(source, 'source').open();
    try {
      const info = await client.call(['INFO', 'keyspace']);
      let keys = 0;
      if (!(info instanceof RespErrorReply)) {
        for (const m of String(info).matchAll(/^db(\d+):keys=(\d+)/gm)) {
          if (this.pipeline.filter.acceptsDb(Number(m[1]))) keys += Number(m[2]);
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
}

/**
 * The link's snapshot bytes. The parser stops reading at the RDB's end, maybe while a chunk
 * is still out: closing this wrapper must close the link's RDB reader too, or the stream
 * cannot be read after it.
 */
async function* snapshotOf(link: ReplicaLink): AsyncGenerator<Buffer> {
  const chunks = link.rdb();
  try {
    yield* chunks;
  } finally {
    await chunks.return(undefined);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
