/**
 * Placeholder bridge to the engine, written by the wizard so "Purchase And
 * Start" has something to call: it only queues the task. The engine manager
 * (worker per task, progress, checkpoints) replaces this file.
 */
import { db } from '@/lib/db/client';

export async function startTask(taskId: string): Promise<void> {
  await db().task.update({ where: { id: taskId }, data: { status: 'Initializing', startedAt: new Date() } });
  await db().taskLog.create({ data: { taskId, level: 'info', message: 'queued for the engine' } });
}
