/**
 * The heartbeat under faults, against real redis-server processes: a broken source
 * link (the replica link and the heartbeat's connection killed on the source) is
 * followed by the heartbeat coming back and a fresh delay; while no heartbeat comes
 * through, the delay grows instead of repeating the last figure; a source that
 * refuses the write disables it once, and the delay is unknown, never made up.
 */
import type Redis from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RedisServer } from '../testing/redis-server';
import { DelayGauge } from './heartbeat';
import { endTask, endpointOf, runTask, startSource, waitStage } from './testing/run-task';
import { sleep, waitFor } from '../testing/wait';
import { RedisServer as Server } from '../testing/redis-server';

let source: RedisServer;
let target: RedisServer;
let src: Redis;

beforeAll(async () => {
  [source, target] = await Promise.all([startSource(), Server.start()]);
  src = source.client();
});

afterAll(async () => {
  src?.disconnect();
  await Promise.all([source?.stop(), target?.stop()]);
});

beforeEach(async () => {
  await src.flushall();
});

describe('DelayGauge', () => {
  it('reports the measured delay while heartbeats arrive, then their age once they stop', () => {
    const g = new DelayGauge(2000);
    expect(g.delayMs(0)).toBeNull();
    g.seen(1000, 1005);
    expect(g.delayMs(1500)).toBe(5);
    expect(g.delayMs(3005)).toBe(5); // within the interval + margin
    expect(g.delayMs(3006)).toBe(2006); // stale: the last heartbeat's age, growing
    expect(g.delayMs(10_000)).toBe(9000);
    g.seen(500, 10_001); // an older value replayed: nothing new
    expect(g.delayMs(10_001)).toBe(9001);
    g.seen(9990, 10_010);
    expect(g.delayMs(10_010)).toBe(20);
  });
});

describe('the heartbeat under a broken source link', () => {
  it('reconnects by itself and the delay is measured afresh', async () => {
    const run = runTask({ source: endpointOf(source), target: endpointOf(target), taskId: 'hbkill' });
    try {
      await waitStage(run, 'incremental');
      await waitFor(() => run.task.progress.delayMs !== null, 10_000, 'a first delay measurement');
      const killedAt = Date.now();
      // Every normal client (the heartbeat's connection) and the replica link, as a source restart or a network cut would.
      expect(Number(await src.call('CLIENT', 'KILL', 'TYPE', 'normal'))).toBeGreaterThanOrEqual(1);
      expect(Number(await src.call('CLIENT', 'KILL', 'TYPE', 'replica'))).toBe(1);
      // A heartbeat written after the kill: the heartbeat is back.
      await waitFor(async () => Number(await src.get('DTS_REDIS_TIMESTAMP_HEARTBEAT_hbkill')) > killedAt, 20_000,
        () => `a heartbeat written after the kill:\n${run.logText()}`);
      await waitStage(run, 'incremental');
      // Fresh: more than the stale limit after the kill, the delay is again a small measured figure.
      await waitFor(() => {
        const d = run.task.progress.delayMs;
        return Date.now() - killedAt > 3000 && d !== null && d < 1500;
      }, 20_000, () => `a fresh delay (now ${run.task.progress.delayMs}):\n${run.logText()}`);
      expect(run.logText()).toMatch(/warn: heartbeat lost: .*reconnecting/);
      expect(run.logText()).toMatch(/info: heartbeat resumed after \d+\.\d s/);
      expect(run.logText()).not.toMatch(/heartbeat disabled/);
    } finally {
      await endTask(run);
    }
    expect(await src.exists('DTS_REDIS_TIMESTAMP_HEARTBEAT_hbkill')).toBe(0);
  });

  it('shows a growing delay while no heartbeat comes through, never the last figure', async () => {
    const run = runTask({ source: endpointOf(source), target: endpointOf(target), taskId: 'hbpause' });
    try {
      await waitStage(run, 'incremental');
      await waitFor(() => (run.task.progress.delayMs ?? Infinity) < 1500, 10_000, 'a small measured delay');
      // The source holds every write (the heartbeat's too) for 5 s: nothing new reaches the stream.
      const pausedAt = Date.now();
      await src.call('CLIENT', 'PAUSE', 5000, 'WRITE');
      const seen: { after: number; delay: number | null }[] = [];
      while (Date.now() - pausedAt < 4500) {
        seen.push({ after: Date.now() - pausedAt, delay: run.task.progress.delayMs });
        await sleep(200);
      }
      const late = seen.filter((s) => s.after > 3500);
      expect(late.length).toBeGreaterThan(0);
      // At least the time since the last heartbeat seen (which came before the pause).
      for (const s of late) expect(s.delay ?? 0, JSON.stringify(seen)).toBeGreaterThanOrEqual(s.after - 200);
      // Back to a small figure once heartbeats flow again.
      await waitFor(() => (run.task.progress.delayMs ?? Infinity) < 1500, 20_000, () => `the delay back under 1.5 s (now ${run.task.progress.delayMs})`);
    } finally {
      await src.call('CLIENT', 'UNPAUSE');
      await endTask(run);
    }
  });

  it('is disabled once, with a warning, by a source that refuses the write; the delay is then unknown', async () => {
    await src.call('ACL', 'SETUSER', 'nowrite', 'on', '>nowritepw', '~*', '&*', '+@all', '-@write');
    const run = runTask({ source: { ...endpointOf(source), username: 'nowrite', password: 'nowritepw' }, target: endpointOf(target), taskId: 'hbnoperm' });
    try {
      await waitStage(run, 'incremental');
      await waitFor(() => /heartbeat disabled/.test(run.logText()), 10_000, 'the heartbeat disabled');
      await sleep(2500);
      expect(run.logText().match(/heartbeat disabled/g)).toHaveLength(1);
      expect(run.logText()).toMatch(/heartbeat disabled: the source .* refused writing DTS_REDIS_TIMESTAMP_HEARTBEAT_hbnoperm \(NOPERM/);
      expect(run.task.progress.delayMs).toBeNull();
    } finally {
      await endTask(run);
      await src.call('ACL', 'DELUSER', 'nowrite');
    }
  });
});
