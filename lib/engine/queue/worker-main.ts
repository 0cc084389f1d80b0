/**
 * `npm run worker`: one worker of distributed mode, on any machine that reaches the console's
 * PostgreSQL (DATABASE_URL), the control-plane Redis (DTS_QUEUE_URL) and the data Redis servers.
 * It takes shard jobs from the queue, at most DTS_WORKER_SLOTS at once (default: its cores), and
 * runs each exactly as the console's own engine manager would (the same EngineManager, a shard's
 * records fenced by its lease: shard-records.ts); it reports the shards' progress on the events
 * channel and obeys the console's actions on the control channel. BullMQ renews its lock on each
 * job while it runs; a worker killed or cut off stops renewing, and within DTS_WORKER_STALL_MS
 * another worker takes its jobs and resumes each shard from its checkpoint by partial resync.
 * SIGTERM / SIGINT hand the shards back at once: each engine writes what it has read, then its job
 * goes back to the queue for another worker.
 */
import os from 'node:os';
import { WaitingError, Worker } from 'bullmq';
import { describeError } from '@/engine/errors';
import { db, migrateDatabase } from '@/lib/db/client';
import { EngineManager, type ShardRun } from '../manager';
import {
  CONTROL_CHANNEL, EVENTS_CHANNEL, HEALTH_INTERVAL_MS, QUEUE_NAME, REPLIES_CHANNEL, WORKERS_KEY, queueConnection, queueUrl, shardJobSchema,
  stallIntervalMs, workerName, workerSlots, type ChangedKeysReply, type ControlMessage, type ShardEvent, type WorkerHealth,
} from './queue';
import * as records from '../task-records';
import { takeShard } from './shard-records';

const url = queueUrl();
if (!url) {
  process.stderr.write('redis-dts worker: DTS_QUEUE_URL is not set: give it the control-plane Redis the console uses (redis://host:port)\n');
  process.exit(2);
}

const id = workerName();
// A worker outlives a failed write (the database restarting, a dropped connection): what it must not do
// twice is fenced by the lease, and its shards go on.
process.on('unhandledRejection', (err) => console.error(`redis-dts worker ${id}: an operation failed:`, describeError(err)));
const slots = workerSlots();
const stallMs = stallIntervalMs();
const startedAt = Date.now();
await migrateDatabase();
await db().$connect();

const publisher = queueConnection(url);
const control = queueConnection(url);
const running = new Map<string, { taskId: string; shard: string }>();
/** SIGTERM or SIGINT came: the shards are being handed back. */
let stopping = false;

const manager = new EngineManager({
  role: 'worker',
  onShardProgress: (run: ShardRun, progress) => {
    const event: ShardEvent = { taskId: run.job.taskId, shard: run.job.shard, workerId: id, progress };
    void publisher.publish(EVENTS_CHANNEL, JSON.stringify(event)).catch(() => undefined);
  },
  // One shard failed: the task's other shards stop, on whichever worker runs them.
  onShardFailed: (taskId) => {
    const stop: ControlMessage = { taskId, action: 'stop' };
    void publisher.publish(CONTROL_CHANNEL, JSON.stringify(stop)).catch(() => undefined);
  },
});

await control.subscribe(CONTROL_CHANNEL);
control.on('message', (_channel: string, raw: string) => {
  const msg = JSON.parse(raw) as ControlMessage;
  if (![...running.values()].some((r) => r.taskId === msg.taskId)) return;
  const done = (() => {
    switch (msg.action) {
      case 'pause': return manager.pause(msg.taskId);
      case 'resume': return Promise.resolve(manager.resumeRuns(msg.taskId));
      case 'stop': return manager.endRuns(msg.taskId);
      case 'limits': return manager.applyLimits(msg.taskId);
      case 'changed-keys': return answerChangedKeys(msg.taskId, msg.requestId);
    }
  })();
  void done.catch((err: unknown) => console.error(`redis-dts worker ${id}: ${msg.action} of task ${msg.taskId}:`, describeError(err)));
});

/**
 * Self-fencing: a worker cut off from the queue Redis cannot renew its locks, and once a lock lapses
 * another worker may take the shard. So a shard whose lock was not renewed for 90 % of the lock's
 * duration (or whose renewal was refused) has its engine stopped here first; the lease check on every
 * checkpoint write (shard-records.ts) is the second fence.
 */
const lockMs = Math.floor(stallMs / 2);
const renewedAt = new Map<string, number>();
async function dropShard(jobId: string, why: string): Promise<void> {
  const run = running.get(jobId);
  if (!run || !renewedAt.has(jobId)) return;
  renewedAt.delete(jobId);
  await records.log(run.taskId, 'warn', `[${run.shard}] worker ${id} ${why}: its engine stopped so that no two workers run the shard; `
    + 'the worker that takes the job over resumes it from its checkpoint').catch(() => undefined);
  await manager.dropShard(run.taskId, run.shard);
}
const fenceTimer = setInterval(() => {
  const now = Date.now();
  for (const [jobId, at] of renewedAt) {
    if (now - at > lockMs * 0.9) void dropShard(jobId, `could not renew its hold on the shard's job for ${((now - at) / 1000).toFixed(1)} s (the queue Redis unreachable?)`);
  }
}, Math.max(100, Math.floor(lockMs / 10)));

/** Cut over asks each shard of the task for the keys its stream wrote; this worker answers for its own. */
async function answerChangedKeys(taskId: string, requestId: string): Promise<void> {
  await Promise.all([...running.values()].filter((r) => r.taskId === taskId).map(async ({ shard }) => {
    const changed = await manager.changedKeys(`${taskId} ${shard}`);
    if (!changed) return;
    const reply: ChangedKeysReply = {
      requestId, taskId, shard, overflow: changed.overflow, keys: changed.keys.map((k) => ({ db: k.db, key: k.key.toString('base64') })),
    };
    await publisher.publish(REPLIES_CHANNEL, JSON.stringify(reply));
  }));
}

const worker = new Worker(QUEUE_NAME, async (job, token) => {
  const data = shardJobSchema.parse(job.data);
  if (stopping && token) {
    // A fetch already under way when the worker paused can bring back the very shard it just handed back
    // (seen in CI: the shard then waited on a closing worker, fenced, instead of going to another one).
    await job.moveToWait(token);
    throw new WaitingError();
  }
  const lease = await takeShard(data.taskId, data.shard, id);
  running.set(job.id!, { taskId: data.taskId, shard: data.shard });
  renewedAt.set(job.id!, Date.now());
  await reportHealth();
  try {
    const outcome = await manager.runShard({ job: data, lease, workerId: id });
    if (outcome === 'handed-back' && token) {
      await job.moveToWait(token);
      await records.log(data.taskId, 'info', stopping
        ? `[${data.shard}] worker ${id} is stopping: the shard is back on the queue for another worker, from its checkpoint`
        : `[${data.shard}] worker ${id} could not start the shard (the database did not answer): it is back on the queue`).catch(() => undefined);
      throw new WaitingError();
    }
    return outcome;
  } finally {
    renewedAt.delete(job.id!);
    running.delete(job.id!);
    void reportHealth();
  }
}, {
  connection: queueConnection(url),
  concurrency: slots,
  // The lock is renewed every quarter of the stall interval and lapses half an interval after the last
  // renewal; the stalled check runs every quarter: a dead worker's jobs are free within 3/4 of the interval.
  lockDuration: lockMs,
  stalledInterval: Math.floor(stallMs / 4),
  // Every take-over counts as a stall: a shard is never given up for having moved often.
  maxStalledCount: Number.MAX_SAFE_INTEGER,
});
worker.on('error', (err) => console.error(`redis-dts worker ${id}: the queue:`, describeError(err)));
worker.on('locksRenewed', ({ jobIds }) => {
  const now = Date.now();
  for (const jobId of jobIds) if (renewedAt.has(jobId)) renewedAt.set(jobId, now);
});
worker.on('lockRenewalFailed', (jobIds) => {
  for (const jobId of jobIds) void dropShard(jobId, 'lost its lock on the shard\'s job (another worker may hold it now)');
});

async function reportHealth(): Promise<void> {
  const health: WorkerHealth = {
    id, host: os.hostname(), pid: process.pid, slots, running: [...running.values()], startedAt,
    load1: os.loadavg()[0]!, cores: os.availableParallelism(), at: Date.now(),
  };
  await publisher.hset(WORKERS_KEY, id, JSON.stringify(health)).catch(() => undefined);
}
const healthTimer = setInterval(() => void reportHealth(), HEALTH_INTERVAL_MS);
await reportHealth();
process.stdout.write(`redis-dts worker ${id}: ${slots} slot(s), take-over after ${stallMs / 1000} s without a lock renewal; waiting for shards\n`);

for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  process.once(sig, () => {
    if (stopping) return;
    stopping = true;
    void (async () => {
      await worker.pause(true); // no new job
      await manager.shutdown(); // each engine writes what it read; its job goes back to the queue
      await worker.close();
      clearInterval(healthTimer);
      clearInterval(fenceTimer);
      await publisher.hdel(WORKERS_KEY, id).catch(() => undefined);
      control.disconnect();
      publisher.disconnect();
      await db().$disconnect();
      process.exit(0);
    })();
  });
}
