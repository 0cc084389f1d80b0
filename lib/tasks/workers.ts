/**
 * Distributed mode's worker pool as the console shows it (Sync Tasks, Instances, a task's details, the
 * API): each worker's health from the registry on the queue Redis, and the shards it runs with their
 * tasks' names. Null when this console runs the engines itself (no DTS_QUEUE_URL).
 */
import { z } from 'zod';
import { describeError } from '@/engine/errors';
import { db } from '@/lib/db/client';
import { engineManager } from '@/lib/engine/manager';

export const workerRowSchema = z.object({
  id: z.string(),
  host: z.string(),
  pid: z.number(),
  slots: z.number().describe('How many shards it runs at once (DTS_WORKER_SLOTS)'),
  running: z.array(z.object({ taskId: z.string(), taskName: z.string().nullable(), shard: z.string() })),
  alive: z.boolean().describe('False once it has not reported for three health intervals (6 s): killed, hung or cut off'),
  lastSeenAt: z.string(),
  startedAt: z.string(),
  load1: z.number().describe("Its host's load average over one minute"),
  cores: z.number(),
});
export type WorkerRow = z.infer<typeof workerRowSchema>;

export const workerPoolSchema = z.object({
  workers: z.array(workerRowSchema),
  /** Why the pool could not be read (the queue Redis down), else null. */
  error: z.string().nullable(),
});
export type WorkerPool = z.infer<typeof workerPoolSchema>;

export async function workerPool(): Promise<WorkerPool | null> {
  const manager = engineManager();
  if (!manager.distributed) return null;
  try {
    const workers = (await manager.workerPool()) ?? [];
    const ids = [...new Set(workers.flatMap((w) => w.running.map((r) => r.taskId)))];
    const names = new Map((await db().task.findMany({ where: { id: { in: ids } }, select: { id: true, name: true } })).map((t) => [t.id, t.name]));
    return {
      error: null,
      workers: workers.map((w) => ({
        id: w.id, host: w.host, pid: w.pid, slots: w.slots, alive: w.alive, load1: w.load1 ?? 0, cores: w.cores ?? 0,
        running: w.running.map((r) => ({ ...r, taskName: names.get(r.taskId) ?? null })),
        lastSeenAt: new Date(w.at).toISOString(), startedAt: new Date(w.startedAt ?? w.at).toISOString(),
      })),
    };
  } catch (err) {
    return { workers: [], error: `The queue Redis (DTS_QUEUE_URL) did not answer: ${describeError(err)}. The workers' health is unknown until it does.` };
  }
}
