/**
 * The durable performance history of tasks (TaskMetric rows), so the details page's
 * charts survive a console restart. Samples arrive once a second per task; they are
 * buffered and written in one batch every few seconds (and when a task stops or the
 * console shuts down), then the task's rows are reduced to what metrics-history.ts
 * keeps. Reads merge the rows with the samples not written yet.
 */
import { db } from '@/lib/db/client';
import type { TaskMetric } from '@/lib/generated/prisma/client';
import { bucketOf, compactHistory, expiredAtOrBefore, groupByBucket, mergeBefore, mergeSamples, type TaskSample } from './metrics-history';

const FLUSH_INTERVAL_MS = 5000;

function toRow(taskId: string, s: TaskSample) {
  return {
    taskId, at: new Date(s.at), stage: s.stage, fullPercent: s.fullPercent, keysDone: BigInt(s.keysDone),
    keysTotal: BigInt(s.keysTotal), rdbBytesDone: BigInt(s.rdbBytesDone), rps: s.rps, bytesPerSecond: s.bytesPerSecond,
    delayMs: s.delayMs, receivedOffset: BigInt(s.receivedOffset),
    checkpointOffset: s.checkpointOffset === null ? null : BigInt(s.checkpointOffset), replid: s.replid,
  };
}

function fromRow(r: TaskMetric): TaskSample {
  return {
    at: r.at.getTime(), stage: r.stage as TaskSample['stage'], fullPercent: r.fullPercent, keysDone: Number(r.keysDone),
    keysTotal: Number(r.keysTotal), rdbBytesDone: Number(r.rdbBytesDone), rps: r.rps, bytesPerSecond: r.bytesPerSecond,
    delayMs: r.delayMs, receivedOffset: Number(r.receivedOffset),
    checkpointOffset: r.checkpointOffset === null ? null : Number(r.checkpointOffset), replid: r.replid,
  };
}

export class MetricsStore {
  /** Samples not written yet, per task (oldest first). */
  private readonly pending = new Map<string, TaskSample[]>();
  /** Per task: the rows before this time are already reduced (unknown after a restart: all are checked once). */
  private readonly reducedBefore = new Map<string, number>();
  private readonly timer: NodeJS.Timeout;
  /** Writes run one after another, so a batch is never written twice. */
  private writing: Promise<void> = Promise.resolve();

  constructor(flushIntervalMs = FLUSH_INTERVAL_MS) {
    this.timer = setInterval(() => void this.flush(), flushIntervalMs);
    this.timer.unref();
  }

  add(taskId: string, sample: TaskSample): void {
    const list = this.pending.get(taskId);
    if (list) list.push(sample);
    else this.pending.set(taskId, [sample]);
  }

  /** The task's kept history, oldest first: its rows, then the samples not written yet. */
  async history(taskId: string): Promise<TaskSample[]> {
    const rows = await db().taskMetric.findMany({ where: { taskId }, orderBy: [{ at: 'asc' }, { id: 'asc' }] });
    const stored = rows.map(fromRow);
    const lastAt = stored.at(-1)?.at ?? -Infinity;
    // A batch being written is still pending: take only what the rows do not hold yet.
    const unwritten = (this.pending.get(taskId) ?? []).filter((s) => s.at > lastAt);
    return compactHistory([...stored, ...unwritten]);
  }

  /** Writes every pending sample now; resolves when they are stored. */
  flush(): Promise<void> {
    this.writing = this.writing.then(() => this.write()).catch((err: unknown) => console.error('task metrics:', err));
    return this.writing;
  }

  /** Stops the timer after writing what is pending (console shutdown). */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  /** Deletes the task's history (Release). */
  forget(taskId: string): Promise<void> {
    // In the write chain, so a batch being written cannot bring rows back.
    const done = this.writing.then(async () => {
      this.pending.delete(taskId);
      this.reducedBefore.delete(taskId);
      await db().taskMetric.deleteMany({ where: { taskId } });
    });
    this.writing = done.catch(() => undefined); // the caller sees the failure; later writes still run
    return done;
  }

  private async write(): Promise<void> {
    const batch = [...this.pending].filter(([, samples]) => samples.length > 0).map(([taskId, samples]) => ({ taskId, samples: [...samples] }));
    if (batch.length === 0) return;
    // A task deleted meanwhile would fail the whole batch (foreign key): its samples are dropped.
    const existing = new Set((await db().task.findMany({ where: { id: { in: batch.map((b) => b.taskId) } }, select: { id: true } })).map((t) => t.id));
    await db().taskMetric.createMany({
      data: batch.filter((b) => existing.has(b.taskId)).flatMap((b) => b.samples.map((s) => toRow(b.taskId, s))),
    });
    for (const { taskId, samples } of batch) {
      const list = this.pending.get(taskId);
      if (list) list.splice(0, samples.length); // samples added during the write stay pending
      if (list?.length === 0) this.pending.delete(taskId);
      if (existing.has(taskId)) await this.reduce(taskId, samples[samples.length - 1].at);
    }
  }

  /** Applies the retention to the task's rows: merges the buckets that became old, deletes the expired rows. */
  private async reduce(taskId: string, newest: number): Promise<void> {
    const before = mergeBefore(newest);
    const from = this.reducedBefore.get(taskId);
    if (from !== undefined && from >= before) return;
    const rows = await db().taskMetric.findMany({
      where: { taskId, at: { ...(from === undefined ? {} : { gte: new Date(from) }), lt: new Date(before) } },
      orderBy: [{ at: 'asc' }, { id: 'asc' }],
    });
    const merges = groupByBucket(rows.map(fromRow)).filter((g) => g.length > 1);
    const merged = new Set(merges.map((g) => bucketOf(g[0].at)));
    const mergedIds = rows.filter((r) => merged.has(bucketOf(r.at.getTime()))).map((r) => r.id);
    await db().$transaction([
      db().taskMetric.deleteMany({ where: { id: { in: mergedIds } } }),
      db().taskMetric.createMany({ data: merges.map((g) => toRow(taskId, mergeSamples(g))) }),
      db().taskMetric.deleteMany({ where: { taskId, at: { lte: new Date(expiredAtOrBefore(newest)) } } }),
    ]);
    this.reducedBefore.set(taskId, before);
  }
}
