/**
 * The durable performance history on a real SQLite database: samples are written in
 * batches, reduced to the retention of metrics-history.ts (every second of the latest
 * 10 minutes, a point per minute before, 24 hours in all), read back the same by a
 * new store (a console restart) and by the details page's live view, and deleted.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { TaskSample } from './metrics-history';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dts-metrics-'));
process.env.DATABASE_URL = `file:${path.join(dir, 'dts.db')}`;

const { db } = await import('@/lib/db/client');
const { MetricsStore } = await import('./metrics-store');
const { compactHistory } = await import('./metrics-history');
const { applyTaskEvent } = await import('@/components/tasks/live-view');
type TaskLiveView = import('@/lib/tasks/details').TaskLiveView;

afterAll(async () => {
  await db().$disconnect();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Never flushes by itself: the tests say when. */
const MANUAL = 3_600_000;
const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

async function createTask(id: string): Promise<void> {
  await db().task.create({ data: { id, name: id, region: 'local', status: 'Running', source: '{}', target: '{}' } });
}

/** Second `i` after T0: rps is the second within its minute, the delay grows by 1 ms a second. */
function sample(i: number): TaskSample {
  return {
    at: T0 + i * 1000, stage: 'incremental', fullPercent: 100, keysDone: 500, keysTotal: 500, rdbBytesDone: 1 << 20,
    rps: i % 60, bytesPerSecond: (i % 60) * 100, delayMs: i, receivedOffset: 1000 + i, checkpointOffset: 900 + i, replid: 'r'.repeat(40),
  };
}

function count(taskId: string): Promise<number> {
  return db().taskMetric.count({ where: { taskId } });
}

describe('MetricsStore', () => {
  it('writes batches, keeps 10 minutes by the second and older minutes as one point each, and reads the same after a restart', async () => {
    await createTask('dtsmet1');
    const store = new MetricsStore(MANUAL);
    // Three samples of a run more than 24 hours earlier, then 30 minutes and a second of samples.
    const expired = [-25 * 3600, -25 * 3600 + 1, -25 * 3600 + 2].map(sample);
    const recent = Array.from({ length: 1801 }, (_, i) => sample(i));
    for (const s of [...expired, ...recent]) store.add('dtsmet1', s);
    expect(await count('dtsmet1')).toBe(0); // nothing written on the hot path

    await store.flush();
    const kept = await store.history('dtsmet1');
    // Minutes 0–19 as one point each, then every second from minute 20 to the newest (T0 + 30 min).
    expect(kept).toHaveLength(20 + 601);
    expect(await count('dtsmet1')).toBe(kept.length);
    expect(kept).toEqual(compactHistory([...expired, ...recent]));
    expect(kept.slice(20)).toEqual(recent.slice(1200));
    // Minute 3: the state at its last second, the mean rate, the highest delay.
    expect(kept[3]).toEqual({ ...sample(239), rps: 29.5, bytesPerSecond: 2950, delayMs: 239 });
    expect(kept.every((s, i) => i === 0 || s.at > kept[i - 1].at)).toBe(true);

    // A console restart: a new store reads the same history from the database.
    expect(await new MetricsStore(MANUAL).history('dtsmet1')).toEqual(kept);

    // Two more minutes: only the buckets that became old are merged.
    const more = Array.from({ length: 120 }, (_, i) => sample(1801 + i));
    for (const s of more) store.add('dtsmet1', s);
    expect(await store.history('dtsmet1')).toEqual(compactHistory([...kept, ...more])); // unwritten samples included
    await store.flush();
    const later = await store.history('dtsmet1');
    expect(later).toHaveLength(22 + 601);
    expect(await count('dtsmet1')).toBe(later.length);
    expect(later).toEqual(compactHistory([...recent, ...more]));

    // The details page's live view, fed one sample at a time, holds the same points as a reload.
    let view: TaskLiveView | undefined = { state: {} as TaskLiveView['state'], logs: [], samples: kept };
    for (const s of more) view = applyTaskEvent(view, { type: 'sample', data: s });
    expect(view!.samples).toEqual(later);

    await store.forget('dtsmet1');
    expect(await count('dtsmet1')).toBe(0);
    expect(await store.history('dtsmet1')).toEqual([]);
    await store.close();
  });

  it("drops the samples of a deleted task without losing the other tasks' batch", async () => {
    await createTask('dtsmet2');
    await createTask('dtsmet3');
    const store = new MetricsStore(MANUAL);
    store.add('dtsmet2', sample(0));
    store.add('dtsmet3', sample(0));
    await db().task.delete({ where: { id: 'dtsmet3' } });
    await store.flush();
    expect(await count('dtsmet2')).toBe(1);
    expect(await store.history('dtsmet3')).toEqual([]);
    await store.close();
  });
});
