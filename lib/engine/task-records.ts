/**
 * The engine manager's reads and writes of a task's records: its status and
 * error message, its progress, its per-shard checkpoints (TaskShard), its log
 * (TaskLog) and what it keeps of the full migration across runs (the decisions
 * in full-history.ts). One function per kind of write, so a status and the line
 * that goes with it in the task's log are written in one place.
 *
 * The writes of a running engine (status, progress, log lines) tolerate a task
 * deleted meanwhile; the final word on a run (Failed, Completed, Ended) does not,
 * and its failure is reported by the caller.
 */
import type { ShardCheckpoint, SyncLogLevel, SyncOptions, SyncProgress } from '@/engine/sync/types';
import { db } from '@/lib/db/client';
import type { TaskStatus } from '@/lib/tasks/status';

// ——— Reads ———

/** The task's record, or null when it no longer exists. */
export function findTask(taskId: string) {
  return db().task.findUnique({ where: { id: taskId } });
}

/** The task's record with its per-shard checkpoints (a start), or null when it no longer exists. */
export function findTaskToStart(taskId: string) {
  return db().task.findUnique({ where: { id: taskId }, include: { shards: true } });
}

/** The task's status, or undefined when it no longer exists. */
export async function statusOf(taskId: string): Promise<string | undefined> {
  return (await db().task.findUnique({ where: { id: taskId }, select: { status: true } }))?.status;
}

/** The tasks in one of these states. */
export function tasksIn(statuses: readonly TaskStatus[]): Promise<{ id: string; status: string }[]> {
  return db().task.findMany({ where: { status: { in: [...statuses] } }, select: { id: true, status: true } });
}

/** Whether a full migration of the task ever completed (before or in this run). */
export async function fullCompletedBefore(taskId: string): Promise<boolean> {
  const task = await db().task.findUnique({ where: { id: taskId }, select: { fullCompletedAt: true } });
  return Boolean(task?.fullCompletedAt);
}

/** The checkpoints of a task's shards by shard name (the source's host:port, or a cluster shard's slot ranges). */
export function checkpointsOf(shards: { name: string; replid: string | null; offset: bigint | null; db: number }[]): NonNullable<SyncOptions['resumeShards']> {
  const checkpoints: NonNullable<SyncOptions['resumeShards']> = {};
  for (const s of shards) {
    if (s.replid && s.offset !== null) checkpoints[s.name] = { replid: s.replid, offset: Number(s.offset), db: s.db };
  }
  return checkpoints;
}

// ——— Writes while an engine runs ———

/** A line in the task's log. */
export async function log(taskId: string, level: SyncLogLevel, message: string): Promise<void> {
  await db().taskLog.create({ data: { taskId, level, message } }).catch(() => undefined); // the task may have been deleted meanwhile
}

export async function setStatus(taskId: string, status: TaskStatus): Promise<void> {
  await db().task.update({ where: { id: taskId }, data: { status } }).catch(() => undefined);
}

/** An engine is starting for the task: Initializing, the first start's time kept, the last run's end and error cleared. */
export async function markStarting(taskId: string, startedAt: Date | null): Promise<void> {
  await db().task.update({
    where: { id: taskId },
    data: { status: 'Initializing', startedAt: startedAt ?? new Date(), errorMessage: null, endedAt: null },
  });
}

/** Incremental synchronization began: billing by duration starts with the first time it did. */
export async function markIncrementalStarted(taskId: string): Promise<void> {
  await db().task.updateMany({ where: { id: taskId, incrementalStartedAt: null }, data: { incrementalStartedAt: new Date() } });
}

/**
 * The engine's latest progress: the delay, the keys the destination evicted and, when this run
 * is a full migration (`ranFull`), its progress (else the record keeps the completed one's figures).
 */
export async function saveProgress(taskId: string, p: SyncProgress, run: { ranFull: boolean; evictedKeys: number }): Promise<void> {
  const full = run.ranFull
    ? { fullProgress: p.fullPercent, keysDone: BigInt(p.keysDone), keysTotal: BigInt(p.keysTotal), bytesDone: BigInt(p.rdbBytesDone) }
    : {};
  await db().task.update({
    where: { id: taskId },
    data: { ...full, delayMs: p.delayMs, evictedKeys: BigInt(run.evictedKeys) },
  }).catch(() => undefined); // the task may have been deleted meanwhile
}

/** A shard's checkpoint: where a restart resumes it by partial resync. */
export async function saveCheckpoint(taskId: string, c: ShardCheckpoint): Promise<void> {
  const fields = { replid: c.replid, offset: BigInt(c.offset), db: c.db, stage: 'incremental' };
  await db().taskShard.upsert({
    where: { taskId_name: { taskId, name: c.shard } },
    create: { taskId, name: c.shard, ...fields },
    update: fields,
  });
}

/** What the record keeps of the full migration across runs (see full-history.ts). */
export async function saveFullMigration(taskId: string, data: {
  resumedAt?: Date; fullRerunAt?: Date; fullRerunReason?: string; fullCompletedAt?: Date; fullProgress?: number;
}): Promise<void> {
  await db().task.update({ where: { id: taskId }, data }).catch(() => undefined); // the task may have been deleted meanwhile
}

/** The engine died and is started again later: Retrying, with the reason, and the attempt in the log. */
export async function markRetrying(taskId: string, why: string, line: string): Promise<void> {
  await db().task.update({ where: { id: taskId }, data: { status: 'Retrying', errorMessage: why } });
  await log(taskId, 'warn', line);
}

// ——— The end of a run ———

/** The task failed: the reason on the record and, as an error, in its log. */
export async function markFailed(taskId: string, message: string): Promise<void> {
  await db().task.update({ where: { id: taskId }, data: { status: 'Failed', errorMessage: message } });
  await log(taskId, 'error', message);
}

/** The task stopped for good: Completed (its full migration at 100 %) or Ended, when, and the line for its log. */
export async function markFinished(taskId: string, status: 'Completed' | 'Ended', level: SyncLogLevel, message: string): Promise<void> {
  await db().task.update({
    where: { id: taskId },
    data: { status, endedAt: new Date(), ...(status === 'Completed' ? { fullProgress: 100 } : {}) },
  });
  await log(taskId, level, message);
}

/** Release: the task leaves the list. */
export async function markReleased(taskId: string): Promise<void> {
  await db().task.update({ where: { id: taskId }, data: { status: 'Released', releasedAt: new Date() } });
  await log(taskId, 'info', 'task released');
}
