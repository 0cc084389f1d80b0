/**
 * Distributed mode: the records of one shard run by a worker (a RunRecords, run-records.ts). Each
 * write goes to the shard's row, and only while the row still holds this run's lease — a worker
 * that has been taken over (it stopped renewing its lock and another worker took the shard) finds
 * its lease replaced at its next write and stops (LeaseLostError), so two workers never record the
 * same shard. After each write the task's own status and progress are rolled up from its shards'
 * (rollUpTask), under a lock on the task's row so two workers' roll-ups do not cross.
 */
import { randomUUID } from 'node:crypto';
import type { SyncLogLevel, SyncProgress } from '@/engine/sync/types';
import { combineProgress, slowestStage } from '@/engine/sync/progress';
import { db } from '@/lib/db/client';
import { databaseConfig } from '@/lib/db/url';
import type { TaskStatus } from '@/lib/tasks/status';
import type { RunRecords } from '../run-records';
import { STAGE_STATUS, stageOf } from '../stage-status';
import * as records from '../task-records';

/** The shard's lease went to another worker: this run must stop writing at once. */
export class LeaseLostError extends Error {
  constructor(readonly taskId: string, readonly shard: string, why = 'was taken over by another worker') {
    super(`shard ${shard} of task ${taskId} ${why}`);
  }
}

/** What a shard's row keeps of its engine's progress (the task's record is the sum). */
interface StoredProgress {
  progress: SyncProgress;
  ranFull: boolean;
}

/**
 * A worker takes a shard: a new lease on its row (the previous holder's writes fail from now on),
 * its name on it. Returns the lease.
 */
export async function takeShard(taskId: string, shard: string, workerId: string): Promise<string> {
  const lease = randomUUID();
  await db().taskShard.upsert({
    where: { taskId_name: { taskId, name: shard } },
    create: { taskId, name: shard, lease, workerId, status: 'Initializing' },
    update: { lease, workerId },
  });
  return lease;
}

/**
 * A task is started in distributed mode: one row per planned shard, each Initializing with no
 * worker; rows of shards the plan no longer has (the cluster was resharded) leave the roll-up.
 * Checkpoints are kept: each shard resumes from its own.
 */
export async function planShards(taskId: string, shards: string[]): Promise<void> {
  await db().$transaction([
    db().taskShard.updateMany({ where: { taskId, name: { notIn: shards } }, data: { status: null, workerId: null, lease: null } }),
    ...shards.map((name) => db().taskShard.upsert({
      where: { taskId_name: { taskId, name } },
      create: { taskId, name, status: 'Initializing' },
      update: { status: 'Initializing', message: null, workerId: null, lease: null, progress: null },
    })),
  ]);
}

/** The records of one shard's run under `lease`. `onFailed`: the shard failed, so the task's other shards must stop. */
export function shardRunRecords(taskId: string, shard: string, lease: string, onFailed: () => void): RunRecords {
  const where = { taskId, name: shard, lease };
  const write = async (data: Record<string, unknown>): Promise<void> => {
    const { count } = await db().taskShard.updateMany({ where, data });
    if (count === 0) throw new LeaseLostError(taskId, shard);
  };
  const setStatus = async (status: TaskStatus, message: string | null = null) => {
    await write({ status, message });
    await rollUpTask(taskId);
  };
  return {
    log: (level: SyncLogLevel, message: string) => records.log(taskId, level, message),
    status: async () => (await db().taskShard.findFirst({ where, select: { status: true } }))?.status ?? undefined,
    setStatus: (status) => setStatus(status),
    markIncrementalStarted: () => records.markIncrementalStarted(taskId),
    async saveProgress(progress, run) {
      const stored: StoredProgress = { progress: { ...progress, evictedKeys: run.evictedKeys }, ranFull: run.ranFull };
      await write({ progress: JSON.stringify(stored) });
      await rollUpTask(taskId);
    },
    async saveCheckpoint(c) {
      // Only this shard's checkpoint: a cluster shard's name is its slots, a standalone source's its address.
      if (c.shard !== shard) return;
      await write({ replid: c.replid, offset: BigInt(c.offset), db: c.db });
    },
    async markRetrying(why, line) {
      await setStatus('Retrying', why);
      await records.log(taskId, 'warn', line);
    },
    async markFailed(message) {
      await setStatus('Failed', message);
      await records.log(taskId, 'error', message);
      onFailed();
    },
    async markFinished(status, level, message) {
      await setStatus(status);
      await records.log(taskId, level, message);
    },
  };
}

/**
 * The task's status and progress from its shards': Failed when one failed (its reason), else as far
 * as its slowest shard; Retrying says why; counters added up by combineProgress (engine/sync/progress.ts).
 * A task released or finished by the console meanwhile is left as it is.
 */
export async function rollUpTask(taskId: string): Promise<void> {
  const postgres = databaseConfig().provider === 'postgresql';
  await db().$transaction(async (tx) => {
    // One roll-up at a time per task (SQLite serialises every write transaction anyway).
    if (postgres) await tx.$executeRaw`SELECT 1 FROM "Task" WHERE "id" = ${taskId} FOR UPDATE`;
    const task = await tx.task.findUnique({ where: { id: taskId }, select: { status: true } });
    if (!task || task.status === 'Released') return;
    const shards = (await tx.taskShard.findMany({ where: { taskId, status: { not: null } }, orderBy: { name: 'asc' } }))
      .map((s) => ({ ...s, stored: s.progress ? (JSON.parse(s.progress) as StoredProgress) : undefined }));
    if (shards.length === 0) return;
    const stage = slowestStage(shards.map((s) => stageOf(s.status!) ?? 'connecting'));
    const status = STAGE_STATUS[stage];
    const many = shards.length > 1;
    const why = (s: (typeof shards)[number]) => (many ? `[${s.name}] ${s.message}` : s.message);
    const failed = shards.find((s) => s.status === 'Failed');
    const retrying = shards.find((s) => s.status === 'Retrying');
    const parts = shards.flatMap((s) => (s.stored ? [s.stored.progress] : []));
    const p = combineProgress(parts, stage);
    const ranFull = shards.some((s) => s.stored?.ranFull);
    const full = ranFull && parts.length === shards.length
      ? { fullProgress: p.fullPercent, keysDone: BigInt(p.keysDone), keysTotal: BigInt(p.keysTotal), bytesDone: BigInt(p.rdbBytesDone) }
      : {};
    const finished = status === 'Ended' || status === 'Completed';
    // The console's End or a Failed already recorded stays: a roll-up only moves the task along.
    if ((task.status === 'Ended' || task.status === 'Completed' || task.status === 'Failed') && !finished && status !== 'Failed') return;
    await tx.task.update({
      where: { id: taskId },
      data: {
        status,
        ...(parts.length > 0 ? { delayMs: p.delayMs, evictedKeys: BigInt(p.evictedKeys), ...full } : {}),
        ...(failed ? { errorMessage: why(failed) } : retrying ? { errorMessage: why(retrying) } : {}),
        ...(finished ? { endedAt: new Date(), ...(status === 'Completed' ? { fullProgress: 100 } : {}) } : {}),
      },
    });
  });
}
