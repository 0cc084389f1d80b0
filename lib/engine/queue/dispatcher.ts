/**
 * Distributed mode, the console's side (DTS_QUEUE_URL set): the console runs no engine. Start plans
 * the task (a cluster source: its shards, and the decisions made once for all of them) and puts one
 * job per shard on the queue; workers (worker-main.ts) take them. Pause, Start again, End and
 * Upgrade Instance Class reach the workers holding the task over the control channel; the workers'
 * live progress comes back over the events channel, is added up per task (engine/sync/progress.ts)
 * and fed to the console's live view and history. The task's record is the workers' to write.
 */
import crypto from 'node:crypto';
import { Queue, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { endpointAddress } from '@/engine/endpoint';
import { describeError } from '@/engine/errors';
import { planClusterTask } from '@/engine/sync/cluster-sync';
import { combineProgress, slowestStage } from '@/engine/sync/progress';
import type { ClusterPlan, SyncProgress } from '@/engine/sync/types';
import { db } from '@/lib/db/client';
import { syncOptionsFor } from '../task-options';
import * as records from '../task-records';
import {
  CONTROL_CHANNEL, EVENTS_CHANNEL, QUEUE_NAME, REPLIES_CHANNEL, listWorkers, queueConnection, shardJobId,
  type ChangedKeysReply, type ControlMessage, type ShardEvent, type ShardJob, type WorkerView,
} from './queue';
import { planShards, rollUpTask } from './shard-records';

/** A shard's progress is live while its worker reported within this long. */
const LIVE_MS = 10_000;
/** The console records a task's sample at most this often (its shards report one each per second). */
const SAMPLE_MS = 900;
const FINISHED = ['Ended', 'Completed', 'Failed', 'Released'];
/** How long one command to the queue Redis may take before an action gives up with the reason. */
const QUEUE_TIMEOUT_MS = 10_000;

export class QueueDispatcher {
  private readonly connection: Redis;
  /** The queue Redis as errors name it (no password). */
  private readonly address: string;
  private readonly events: Redis;
  private readonly queue: Queue;
  /** Per task, per shard: the latest progress and when it came. */
  private readonly live = new Map<string, Map<string, { progress: SyncProgress; at: number }>>();
  private readonly sampledAt = new Map<string, number>();
  /** Changed-keys requests waiting for their shards' replies, by request id. */
  private readonly requests = new Map<string, (reply: ChangedKeysReply) => void>();

  constructor(url: string, private readonly onSample: (taskId: string, progress: SyncProgress) => void) {
    // Commands fail in time when the queue Redis is down or frozen, so an action says so instead of hanging.
    this.connection = queueConnection(url, { commandTimeout: QUEUE_TIMEOUT_MS, maxRetriesPerRequest: 2 });
    this.address = url.replace(/\/\/[^@/]*@/, '//');
    this.events = queueConnection(url);
    this.queue = new Queue(QUEUE_NAME, { connection: this.connection });
    this.queue.on('error', (err) => console.error('redis-dts: the task queue:', describeError(err)));
    void this.events.subscribe(EVENTS_CHANNEL, REPLIES_CHANNEL).catch((err: unknown) => console.error('redis-dts: the workers\' events:', describeError(err)));
    this.events.on('message', (channel: string, message: string) => {
      if (channel === REPLIES_CHANNEL) this.onReply(JSON.parse(message) as ChangedKeysReply);
      else this.onEvent(JSON.parse(message) as ShardEvent);
    });
  }

  private onEvent(e: ShardEvent): void {
    let shards = this.live.get(e.taskId);
    if (!shards) this.live.set(e.taskId, (shards = new Map()));
    shards.set(e.shard, { progress: e.progress, at: Date.now() });
    const now = Date.now();
    if (now - (this.sampledAt.get(e.taskId) ?? 0) < SAMPLE_MS) return;
    const p = this.liveProgress(e.taskId);
    if (!p) return;
    this.sampledAt.set(e.taskId, now);
    this.onSample(e.taskId, p);
  }

  private onReply(reply: ChangedKeysReply): void {
    this.requests.get(reply.requestId)?.(reply);
  }

  /**
   * Cut over: the keys each shard's stream wrote since its engine started, from the workers running
   * them. A shard that does not answer in `timeoutMs` counts as overflowed (its keys unknown: fewer checked).
   */
  async changedKeys(taskId: string, timeoutMs: number): Promise<{ keys: { db: number; key: Buffer }[]; overflow: boolean } | undefined> {
    const shards = await db().taskShard.count({ where: { taskId, status: { not: null } } });
    if (shards === 0) return undefined;
    const requestId = crypto.randomUUID();
    const replies = new Map<string, ChangedKeysReply>();
    const all = new Promise<void>((resolve) => {
      this.requests.set(requestId, (reply) => {
        replies.set(reply.shard, reply);
        if (replies.size >= shards) resolve();
      });
    });
    try {
      await this.reaching(() => this.control(taskId, 'changed-keys', requestId));
      await Promise.race([all, new Promise((r) => setTimeout(r, timeoutMs).unref())]);
    } finally {
      this.requests.delete(requestId);
    }
    if (replies.size === 0) return undefined;
    return {
      keys: [...replies.values()].flatMap((r) => r.keys.map((k) => ({ db: k.db, key: Buffer.from(k.key, 'base64') }))),
      overflow: replies.size < shards || [...replies.values()].some((r) => r.overflow),
    };
  }

  /** The task's progress added up from its shards' live reports, while any worker reports it. */
  liveProgress(taskId: string): SyncProgress | undefined {
    const now = Date.now();
    const parts = [...(this.live.get(taskId)?.values() ?? [])].filter((s) => now - s.at < LIVE_MS).map((s) => s.progress);
    if (parts.length === 0) return undefined;
    return combineProgress(parts, slowestStage(parts.map((p) => p.stage)));
  }

  /** The jobs of the task's planned shards that are still on the queue (waiting, active, delayed). */
  private async jobsOf(taskId: string): Promise<Job[]> {
    const shards = await db().taskShard.count({ where: { taskId, status: { not: null } } });
    const jobs = await Promise.all(Array.from({ length: shards }, (_, i) => this.queue.getJob(shardJobId(taskId, i))));
    return jobs.filter((j): j is Job => j !== undefined);
  }

  /** The workers in the registry and their health, for the console's pages. */
  workers(): Promise<WorkerView[]> {
    return this.reaching(() => listWorkers(this.connection), false); // read only: nothing to take effect later
  }

  /** Runs an action that needs the queue Redis; its failure to answer is named as such. */
  private async reaching<T>(action: () => Promise<T>, askFirst = true): Promise<T> {
    try {
      // Asked first, so that an action whose queue does not answer sends nothing that could take effect later.
      if (askFirst) await this.connection.ping();
      return await action();
    } catch (err) {
      if (!queueUnreachable(err)) throw err;
      throw new Error(`the queue Redis (DTS_QUEUE_URL ${this.address}) did not answer (${describeError(err)}); the workers cannot be reached until it does`);
    }
  }

  /** Start: a paused task's workers write again; else the task is planned and its shards queued. */
  async start(taskId: string): Promise<void> {
    return this.reaching(() => this.startNow(taskId));
  }

  private async startNow(taskId: string): Promise<void> {
    const task = await records.findTask(taskId);
    if (!task) throw new Error('This task no longer exists.');
    if (task.status === 'Paused' && (await this.jobsOf(taskId)).length > 0) {
      await this.control(taskId, 'resume');
      await records.setStatus(taskId, 'Running');
      await records.log(taskId, 'info', 'started again');
      return;
    }
    await records.markStarting(taskId, task.startedAt);
    const options = syncOptionsFor(task);
    let plan: ClusterPlan | null;
    try {
      plan = await planClusterTask(options);
    } catch (err) {
      await records.markFailed(taskId, describeError(err));
      return;
    }
    const shards = plan ? plan.shards : [options.source ? endpointAddress(options.source) : 'rdb-file'];
    await planShards(taskId, shards);
    await this.enqueue(taskId, shards, plan);
    await records.log(taskId, 'info', `handed to the workers: ${shards.length} shard job(s) on the queue${plan ? ` (${shards.join('; ')})` : ''}`);
  }

  private async enqueue(taskId: string, shards: string[], plan: ClusterPlan | null, only?: Set<number>): Promise<void> {
    await this.queue.addBulk(shards.flatMap((shard, index) => {
      if (only && !only.has(index)) return [];
      const data: ShardJob = { taskId, shard, index, plan };
      // Failures are the engine manager's to retry (Retrying, with its budget); an error of the worker itself is retried here.
      return [{ name: 'shard', data, opts: { jobId: shardJobId(taskId, index), removeOnComplete: true, removeOnFail: true, attempts: 1_000, backoff: { type: 'exponential', delay: 1_000 } } }];
    }));
  }

  async control(taskId: string, action: ControlMessage['action'], requestId?: string): Promise<boolean> {
    const message = (action === 'changed-keys' ? { taskId, action, requestId: requestId ?? '' } : { taskId, action }) as ControlMessage;
    return (await this.connection.publish(CONTROL_CHANNEL, JSON.stringify(message))) > 0;
  }

  /** Pause: the workers park each shard; Paused once every shard says so (or after `ackMs`, as in one-machine mode). */
  async pause(taskId: string, ackMs: number): Promise<void> {
    return this.reaching(() => this.pauseNow(taskId, ackMs));
  }

  private async pauseNow(taskId: string, ackMs: number): Promise<void> {
    await this.control(taskId, 'pause');
    const paused = await this.waitStatus(taskId, (s) => s === 'Paused' || FINISHED.includes(s), ackMs);
    if (!paused) await records.setStatus(taskId, 'Paused');
  }

  /**
   * End: jobs no worker has taken yet leave the queue; the workers stop the rest, each shard writing
   * what it has read (Ended once all have). A shard whose worker is gone, or that does not confirm in
   * `graceMs`, does not hold the task up: it ends with it (a worker that takes it later finds it Ended).
   */
  async end(taskId: string, graceMs: number): Promise<void> {
    return this.reaching(() => this.endNow(taskId, graceMs));
  }

  private async endNow(taskId: string, graceMs: number): Promise<void> {
    for (const job of await this.jobsOf(taskId)) {
      const state = await job.getState();
      if (state === 'waiting' || state === 'delayed' || state === 'prioritized') {
        await job.remove().catch(() => undefined); // taken meanwhile: the stop below reaches it
        await db().taskShard.updateMany({ where: { taskId, name: job.data.shard as string, workerId: null }, data: { status: 'Ended' } });
      }
    }
    await this.control(taskId, 'stop');
    await rollUpTask(taskId);
    const ended = await this.waitStatus(taskId, (s) => FINISHED.includes(s), graceMs, async () => {
      // Only shards held by a live worker are worth waiting for.
      const alive = new Set((await listWorkers(this.connection)).filter((w) => w.alive).map((w) => w.id));
      const open = await db().taskShard.findMany({ where: { taskId, status: { notIn: [...FINISHED] }, NOT: { status: null } } });
      return open.some((s) => s.workerId && alive.has(s.workerId));
    });
    if (!ended) await records.markFinished(taskId, 'Ended', 'info', 'task ended (its remaining shards had no live worker)');
  }

  /** Polls the task's status until `done` (true), `timeoutMs` passes or `worthWaiting` says no (false). */
  private async waitStatus(taskId: string, done: (status: string) => boolean, timeoutMs: number, worthWaiting?: () => Promise<boolean>): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (let i = 0; ; i++) {
      const status = await records.statusOf(taskId);
      if (status === undefined || done(status)) return true;
      if (Date.now() > deadline) return false;
      if (worthWaiting && i % 10 === 9 && !(await worthWaiting())) return false;
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /**
   * At console start: the workers kept the tasks running meanwhile. A running task's shard with no job
   * (the console stopped between planning and queueing it) is queued again, planned anew.
   */
  async recover(): Promise<void> {
    for (const t of await records.tasksIn(['Initializing', 'FullMigration', 'Running', 'Retrying'])) {
      const shards = await db().taskShard.findMany({ where: { taskId: t.id, status: { not: null } }, orderBy: { name: 'asc' } });
      if (shards.length === 0) continue;
      const queued = new Set((await this.jobsOf(t.id)).map((j) => (j.data as ShardJob).index));
      const task = await records.findTask(t.id);
      if (!task) continue;
      let plan: ClusterPlan | null;
      try {
        plan = await planClusterTask(syncOptionsFor(task));
      } catch (err) {
        await records.log(t.id, 'warn', `could not plan the task's shards again: ${describeError(err)}`);
        continue;
      }
      const names = plan ? plan.shards : shards.map((s) => s.name);
      const missing = new Set(names.map((_, i) => i).filter((i) => !queued.has(i)
        && !FINISHED.includes(shards.find((s) => s.name === names[i])?.status ?? '')));
      if (missing.size === 0) continue;
      await this.enqueue(t.id, names, plan, missing);
      await records.log(t.id, 'warn', `the console restarted: ${missing.size} shard(s) of the task had no job on the queue and were queued again`);
    }
  }

  async close(): Promise<void> {
    await this.queue.close();
    this.events.disconnect();
    this.connection.disconnect();
  }
}

/** An error of the connection to the queue Redis, not of the task: refused, closed, timed out, retries spent. */
function queueUnreachable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as NodeJS.ErrnoException).code;
  return err.name === 'MaxRetriesPerRequestError' || /Command timed out|Connection is closed|Stream isn't writeable/.test(err.message)
    || (code !== undefined && ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE'].includes(code));
}
