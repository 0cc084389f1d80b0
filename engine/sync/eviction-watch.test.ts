/**
 * A destination that evicts what the task writes (maxmemory too small,
 * maxmemory-policy allkeys-lru), against real redis-server processes: the task
 * log says so while the task runs, the progress counts the evicted keys (every
 * master of a cluster destination), and the CLI's done line and exit code do not
 * pass a destination missing keys off as a clean finish.
 */
import type Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisCluster, RedisServer } from '../testing/redis-server';
import { jsonEvents, runCli } from '../cli/testing/run-cli';
import { endTask, endpointOf, runTask, startSource, waitStage } from './testing/run-task';
import { waitFor } from '../testing/wait';

const KEYS = 40_000;
/** Room for a small part of the KEYS keys (~12 MB): most of them are evicted. */
const EVICTING = { maxmemory: '4mb', 'maxmemory-policy': 'allkeys-lru' };

async function evictedOn(...clients: Redis[]): Promise<number> {
  let n = 0;
  for (const c of clients) n += Number(/^evicted_keys:(\d+)/m.exec(String(await c.info('stats')))?.[1]);
  return n;
}

let source: RedisServer;
let src: Redis;

beforeAll(async () => {
  source = await startSource();
  src = source.client();
  const value = 'v'.repeat(250);
  for (let at = 0; at < KEYS; at += 5000) {
    const p = src.pipeline();
    for (let i = at; i < at + 5000; i++) p.set(`k:${i}`, value);
    await p.exec();
  }
});

afterAll(async () => {
  src?.disconnect();
  await source?.stop();
});

describe('a destination that evicts keys', () => {
  it('is a warning in the task log while the task runs, and counted in the progress', async () => {
    const target = await RedisServer.start({ config: EVICTING });
    const dst = target.client();
    const run = runTask({ source: endpointOf(source), target: endpointOf(target) });
    try {
      await waitStage(run, 'incremental', 60_000);
      // While it runs, not only at the end.
      await waitFor(() => /warn: the destination is evicting keys: \d+ key\(s\) evicted since the task started/.test(run.logText()), 10_000,
        () => `the eviction warning:\n${run.logText()}`);
      expect(run.logText()).toMatch(/maxmemory 4\.00M, maxmemory-policy allkeys-lru/);
      expect(await dst.dbsize()).toBeLessThan(KEYS);
      let onServer = 0;
      await waitFor(async () => run.task.progress.evictedKeys === (onServer = await evictedOn(dst)), 10_000,
        () => `the progress to count ${onServer} evictions (has ${run.task.progress.evictedKeys})`);
      expect(run.task.progress.evictedKeys).toBeGreaterThan(KEYS / 2);
      const progress = await endTask(run);
      // A destination at its memory limit evicts again whenever anything allocates (a new client, a reply):
      // after the task's last reading it may have evicted a few more, never fewer.
      expect(progress.evictedKeys).toBeGreaterThan(KEYS / 2);
      expect(progress.evictedKeys).toBeLessThanOrEqual(await evictedOn(dst));
      expect(run.logText()).toMatch(/warn: the destination evicted \d+ key\(s\) in all while the task ran/);
    } finally {
      dst.disconnect();
      await target.stop();
    }
  }, 120_000);

  it('the CLI does not report a full migration into it as a clean finish: the done line says so and it exits 3', async () => {
    const target = await RedisServer.start({ config: EVICTING });
    const dst = target.client();
    try {
      const r = await runCli(['--source', source.url, '--target', target.url, '--type', 'full'], 60_000);
      const evicted = await evictedOn(dst);
      expect(r.stderr).toMatch(/warn: the destination is evicting keys/);
      const done = /^done \(completed, but the destination evicted (\d+) keys: it does not hold everything written\): (\d+) keys/m.exec(r.stderr);
      expect(done, r.stderr).not.toBeNull();
      expect(Number(done![2])).toBe(KEYS);
      expect(Number(done![1])).toBeGreaterThan(KEYS / 2);
      expect(Number(done![1])).toBeLessThanOrEqual(evicted);
      expect(r.code).toBe(3);

      await dst.flushall();
      const json = await runCli(['--source', source.url, '--target', target.url, '--type', 'full', '--json'], 60_000);
      expect(json.code).toBe(3);
      const last = jsonEvents(json.stdout).at(-1)!;
      expect(last).toMatchObject({ type: 'done', stage: 'completed', keys: KEYS });
      expect(last.evictedKeys).toBeGreaterThan(KEYS / 2);
      expect(last.evictedKeys).toBeLessThanOrEqual((await evictedOn(dst)) - evicted);
    } finally {
      dst.disconnect();
      await target.stop();
    }
  }, 120_000);

  it('a cluster destination: evictions on every master are counted', async () => {
    const cluster = await RedisCluster.start(3);
    const masters = cluster.nodes.map((n) => n.client());
    try {
      for (const m of masters) await m.config('SET', 'maxmemory-policy', 'allkeys-lru');
      for (const m of masters) await m.config('SET', 'maxmemory', '3mb');
      const run = runTask({ source: endpointOf(source), target: endpointOf(cluster.nodes[0]!), type: 'full' });
      await run.done;
      if (run.error()) throw run.error();
      expect(run.task.progress.stage).toBe('completed');
      const perMaster = await Promise.all(masters.map((m) => evictedOn(m)));
      expect(perMaster.every((n) => n > 0), `evicted per master: ${perMaster.join(', ')}`).toBe(true);
      // Every master counted: leaving one out would lose at least that master's share (a few more may come after the last reading).
      const sum = perMaster.reduce((a, b) => a + b, 0);
      expect(run.task.progress.evictedKeys).toBeLessThanOrEqual(sum);
      expect(run.task.progress.evictedKeys).toBeGreaterThan(sum - Math.min(...perMaster));
      expect(run.logText()).toMatch(/warn: the destination evicted \d+ key\(s\) in all while the task ran/);
    } finally {
      for (const m of masters) m.disconnect();
      await cluster.stop();
    }
  }, 120_000);
});
