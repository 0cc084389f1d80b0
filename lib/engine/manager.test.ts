/**
 * The engine bridge end to end, against real redis-server processes and a real
 * SQLite database: a task record is started, reaches Running with 100% full
 * migration, replays writes, pauses and starts again without a second full
 * migration, survives a "console restart" by partial resync, ends and is released;
 * its performance history outlives the restart and goes with the release; Pause shows
 * Paused only on the engine's answer that it writes nothing more.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareKeyByKey, dataKeyCount } from '@/engine/testing/compare';
import { RedisServer } from '@/engine/testing/redis-server';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dts-manager-'));
process.env.DATABASE_URL = `file:${path.join(dir, 'dts.db')}`;
process.env.DTS_SECRET_KEY = Buffer.alloc(32, 7).toString('base64');

const { db } = await import('@/lib/db/client');
const { EngineManager } = await import('./manager');
const { RETENTION_MS } = await import('./metrics-history');
const { readTaskLiveView } = await import('@/lib/tasks/details');

async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function status(id: string): Promise<string> {
  return (await db().task.findUniqueOrThrow({ where: { id } })).status;
}

describe('EngineManager', () => {
  let source: RedisServer;
  let target: RedisServer;
  beforeAll(async () => {
    [source, target] = await Promise.all([
      RedisServer.start({ config: { 'repl-diskless-sync-delay': 0 } }),
      RedisServer.start(),
    ]);
  });
  afterAll(async () => {
    await Promise.all([source?.stop(), target?.stop()]);
    await db().$disconnect();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('runs a task from the record to Released, resuming after a restart by partial resync', async () => {
    const src = source.client();
    const dst = target.client();
    try {
      for (let i = 0; i < 500; i++) await src.set(`k:${i}`, `v${i}`);
      await src.select(1);
      await src.hset('h', 'f', 'v');
      await src.select(0);
      const endpoint = (port: number) => JSON.stringify({ host: '127.0.0.1', port, authMethod: 'password-free' });
      await db().task.create({
        data: {
          id: 'dtsmgr1', name: 'manager', region: 'local', status: 'PrecheckPassed', instanceClass: 'unlimited',
          source: endpoint(source.port), target: endpoint(target.port),
          objects: JSON.stringify({ dbs: [{ db: 0, targetDb: 0 }, { db: 1, targetDb: 2 }] }),
        },
      });

      let manager = new EngineManager();
      await manager.perform('dtsmgr1', 'start');
      await waitFor('Running', async () => (await status('dtsmgr1')) === 'Running');
      const running = await db().task.findUniqueOrThrow({ where: { id: 'dtsmgr1' } });
      expect(running.keysTotal).toBe(501n);
      // Billing by duration starts with incremental synchronization.
      expect(running.incrementalStartedAt).not.toBeNull();
      expect((await readTaskLiveView('dtsmgr1'))!.state.billing.billableMs).toBeGreaterThanOrEqual(0);

      await src.set('after', '1');
      await src.incr('counter');
      await waitFor('the write on the destination', async () => (await dst.get('after')) === '1');
      await waitFor('progress persisted', async () =>
        (await db().task.findUniqueOrThrow({ where: { id: 'dtsmgr1' } })).fullProgress === 100);

      await manager.perform('dtsmgr1', 'pause');
      expect(await status('dtsmgr1')).toBe('Paused');
      await src.incr('counter');
      await new Promise((r) => setTimeout(r, 500));
      expect(await dst.get('counter')).toBe('1');
      await manager.perform('dtsmgr1', 'start');
      await waitFor('resumed writes', async () => (await dst.get('counter')) === '2');

      // A console restart: the engine stops cleanly, the task stays Running and resumes from its checkpoint.
      await manager.shutdown();
      expect(await status('dtsmgr1')).toBe('Running');
      await src.incr('counter');
      manager = new EngineManager();
      await manager.recover();
      await waitFor('write replayed after restart', async () => (await dst.get('counter')) === '3');
      // The record still says the full migration completed (and when), and that this run resumed by partial resync.
      const resumed = await waitFor('the resume recorded', async () => {
        const t = await db().task.findUniqueOrThrow({ where: { id: 'dtsmgr1' } });
        return t.resumedAt !== null && t;
      });
      await waitFor('progress persisted after the resume', async () =>
        (await db().task.findUniqueOrThrow({ where: { id: 'dtsmgr1' } })).updatedAt.getTime() > resumed.resumedAt!.getTime() + 1500);
      const afterResume = await db().task.findUniqueOrThrow({ where: { id: 'dtsmgr1' } });
      expect(afterResume).toMatchObject({ fullProgress: 100, keysDone: 501n, keysTotal: 501n, fullRerunAt: null, fullRerunReason: null });
      expect(afterResume.fullCompletedAt!.getTime()).toBeLessThan(afterResume.resumedAt!.getTime());
      const logs = (await db().taskLog.findMany({ where: { taskId: 'dtsmgr1' } })).map((l) => l.message);
      expect(logs.some((m) => m.includes('partial resync'))).toBe(true);
      expect(source.log()).toMatch(/Partial resynchronization request .* accepted/);

      await waitFor('checkpoint persisted', async () => {
        const shard = await db().taskShard.findFirst({ where: { taskId: 'dtsmgr1' } });
        return shard?.offset !== null && shard?.offset !== undefined;
      });
      expect(await compareKeyByKey(src, dst, [0, 1], { dbMap: { 1: 2 } })).toEqual([]);

      await manager.perform('dtsmgr1', 'end');
      expect(await status('dtsmgr1')).toBe('Ended');
      expect(await src.keys('DTS_REDIS_TIMESTAMP_HEARTBEAT*')).toEqual([]);
      await manager.perform('dtsmgr1', 'release');
      expect(await status('dtsmgr1')).toBe('Released');
      await expect(manager.perform('dtsmgr1', 'start')).rejects.toThrow(/cannot be started/);
    } finally {
      src.disconnect();
      dst.disconnect();
    }
  }, 120_000);

  it('records a failure the engine reports, in words, and alerts the task log and the webhook (Monitoring and Alerting)', async () => {
    const endpoint = (port: number) => JSON.stringify({ host: '127.0.0.1', port, authMethod: 'password-free' });
    const dst = target.client();
    await dst.flushall();
    await dst.set('already', 'here');
    dst.disconnect();
    const hooks: { taskId: string; kind: string; message: string }[] = [];
    const hook = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        hooks.push(JSON.parse(body) as { taskId: string; kind: string; message: string });
        res.end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    process.env.DTS_ALERT_WEBHOOK_URL = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/alerts`;
    try {
      await db().task.create({
        data: {
          id: 'dtsmgr2', name: 'blocked', region: 'local', status: 'PrecheckPassed', conflictMode: 'block',
          source: endpoint(source.port), target: endpoint(target.port), objects: JSON.stringify({ dbs: [{ db: 0, targetDb: 0 }] }),
          advanced: JSON.stringify({ monitoring: { enabled: true, delayThresholdSeconds: 10, statusAlert: true } }),
        },
      });
      const manager = new EngineManager();
      await manager.perform('dtsmgr2', 'start');
      await waitFor('Failed', async () => (await status('dtsmgr2')) === 'Failed');
      const task = await db().task.findUniqueOrThrow({ where: { id: 'dtsmgr2' } });
      expect(task.errorMessage).toMatch(/Destination Object Data Existence Check failed.*"already"/);
      const alert = await waitFor('the alert in the log', async () => (await db().taskLog.findMany({ where: { taskId: 'dtsmgr2', message: { startsWith: 'alert:' } } }))[0]);
      expect(alert.level).toBe('error');
      expect(alert.message).toMatch(/^alert: the task is Failed: Destination Object Data Existence Check failed/);
      await waitFor('the webhook', async () => hooks.length > 0);
      expect(hooks).toEqual([expect.objectContaining({ taskId: 'dtsmgr2', kind: 'status', message: alert.message.slice('alert: '.length) })]);
      expect((await readTaskLiveView('dtsmgr2'))!.state.alerts).toEqual(['The task is Failed.']);
    } finally {
      delete process.env.DTS_ALERT_WEBHOOK_URL;
      hook.close();
    }
  }, 60_000);

  it('keeps the performance history across a console restart and deletes it on Release', async () => {
    const src = source.client();
    const dst = target.client();
    try {
      await Promise.all([src.flushall(), dst.flushall()]);
      const endpoint = (port: number) => JSON.stringify({ host: '127.0.0.1', port, authMethod: 'password-free' });
      await db().task.create({
        data: {
          id: 'dtsmgr3', name: 'history', region: 'local', status: 'PrecheckPassed', instanceClass: 'unlimited',
          source: endpoint(source.port), target: endpoint(target.port), objects: JSON.stringify({ dbs: [{ db: 0, targetDb: 0 }] }),
        },
      });
      const metricRows = () => db().taskMetric.count({ where: { taskId: 'dtsmgr3' } });
      // Writes only when a task stops or the console shuts down, so the test sees what stays in memory until then.
      let manager = new EngineManager({ metricsFlushMs: 3_600_000 });
      await manager.perform('dtsmgr3', 'start');
      await waitFor('Running', async () => (await status('dtsmgr3')) === 'Running');

      // A write burst while Running: the samples show its rate.
      for (let round = 0; round < 4; round++) {
        const burst = src.pipeline();
        for (let i = 0; i < 5000; i++) burst.set(`burst:${round}:${i}`, 'x'.repeat(100));
        await burst.exec();
      }
      const before = await waitFor('samples of the burst', async () => {
        const h = await manager.history('dtsmgr3');
        return h.some((s) => s.stage === 'incremental' && s.rps > 0) && (await dataKeyCount(dst)) === 20_000 && h;
      });
      expect(await metricRows()).toBe(0); // batched: nothing written per sample

      // A console restart: the history is written at shutdown and read back by the next manager.
      await manager.shutdown();
      expect(await metricRows()).toBeGreaterThanOrEqual(before.length);
      manager = new EngineManager({ metricsFlushMs: 3_600_000 });
      const after = await manager.history('dtsmgr3');
      expect(after.slice(0, before.length)).toEqual(before);
      expect(after.every((s, i) => i === 0 || s.at > after[i - 1].at)).toBe(true);
      expect(after[0].at).toBeGreaterThan(after[after.length - 1].at - RETENTION_MS);
      expect(Math.max(...after.map((s) => s.rps))).toBeGreaterThan(0);
      // What the details page and its JSON route serve.
      expect((await readTaskLiveView('dtsmgr3'))?.samples).toEqual(after);

      // Resumed, the task's history goes on from there.
      await manager.recover();
      await waitFor('a sample after the restart', async () => (await manager.history('dtsmgr3')).length > after.length);
      expect((await manager.history('dtsmgr3')).slice(0, after.length)).toEqual(after);

      await manager.perform('dtsmgr3', 'end');
      expect(await metricRows()).toBeGreaterThan(after.length); // written when the task stopped
      await manager.perform('dtsmgr3', 'release');
      expect(await metricRows()).toBe(0);
      expect(await manager.history('dtsmgr3')).toEqual([]);
    } finally {
      src.disconnect();
      dst.disconnect();
    }
  }, 120_000);

  it('records a full migration run again after a restart, and why, when the source no longer holds the checkpoint', async () => {
    // The smallest backlog Redis allows: a few writes while the console is down push the checkpoint out of it.
    const small = await RedisServer.start({ config: { 'repl-diskless-sync-delay': 0, 'repl-backlog-size': '16kb' } });
    const src = small.client();
    const dst = target.client();
    let manager = new EngineManager();
    try {
      await dst.flushall();
      for (let i = 0; i < 100; i++) await src.set(`k:${i}`, 'v');
      const endpoint = (port: number) => JSON.stringify({ host: '127.0.0.1', port, authMethod: 'password-free' });
      await db().task.create({
        data: {
          id: 'dtsrerun1', name: 'rerun', region: 'local', status: 'PrecheckPassed', instanceClass: 'unlimited',
          source: endpoint(small.port), target: endpoint(target.port), objects: JSON.stringify({ dbs: [{ db: 0, targetDb: 0 }] }),
        },
      });
      await manager.perform('dtsrerun1', 'start');
      await waitFor('Running', async () => (await status('dtsrerun1')) === 'Running');
      await src.set('after', '1');
      await waitFor('a checkpoint', async () => (await db().taskShard.findFirst({ where: { taskId: 'dtsrerun1' } }))?.offset);
      const first = await db().task.findUniqueOrThrow({ where: { id: 'dtsrerun1' } });
      expect(first.fullCompletedAt).not.toBeNull();
      await manager.shutdown();
      for (let i = 0; i < 100; i++) await src.set(`big:${i}`, 'x'.repeat(1024));
      const offset = Number((await db().taskShard.findFirstOrThrow({ where: { taskId: 'dtsrerun1' } })).offset);

      manager = new EngineManager();
      await manager.recover();
      const rerun = await waitFor('the re-run recorded', async () => {
        const t = await db().task.findUniqueOrThrow({ where: { id: 'dtsrerun1' } });
        return t.fullRerunAt !== null && t;
      });
      expect(rerun.fullRerunReason).toBe(`the source could not continue from the checkpoint (offset ${offset}): its replication backlog no longer holds it, or its replication ID changed`);
      await waitFor('Running again', async () => {
        const t = await db().task.findUniqueOrThrow({ where: { id: 'dtsrerun1' } });
        return t.status === 'Running' && t.fullCompletedAt!.getTime() > rerun.fullRerunAt!.getTime() && t.keysDone === 201n;
      });
      const logs = (await db().taskLog.findMany({ where: { taskId: 'dtsrerun1', level: 'warn' } })).map((l) => l.message);
      expect(logs).toContain(`the full data migration runs again: ${rerun.fullRerunReason}`);
      const state = (await readTaskLiveView('dtsrerun1'))!.state;
      expect(state.fullRerunReason).toBe(rerun.fullRerunReason);
      expect(state.resumedAt).toBeNull();
    } finally {
      await manager.shutdown();
      src.disconnect();
      dst.disconnect();
      await small.stop();
    }
  }, 120_000);

  it('a full migration into a destination that evicts keys ends Completed, saying it does not hold everything', async () => {
    const evicting = await RedisServer.start({ config: { maxmemory: '4mb', 'maxmemory-policy': 'allkeys-lru' } });
    const src = source.client();
    const dst = evicting.client();
    const manager = new EngineManager();
    try {
      await src.flushall();
      const p = src.pipeline();
      for (let i = 0; i < 40_000; i++) p.set(`k:${i}`, 'v'.repeat(250));
      await p.exec();
      const endpoint = (port: number) => JSON.stringify({ host: '127.0.0.1', port, authMethod: 'password-free' });
      await db().task.create({
        data: {
          id: 'dtsevict1', name: 'evicting', region: 'local', status: 'PrecheckPassed', instanceClass: 'unlimited', syncTypes: 'full',
          source: endpoint(source.port), target: endpoint(evicting.port), objects: JSON.stringify({ dbs: [{ db: 0, targetDb: 0 }] }),
        },
      });
      await manager.perform('dtsevict1', 'start');
      await waitFor('Completed', async () => (await status('dtsevict1')) === 'Completed', 60_000);
      const evicted = Number(/^evicted_keys:(\d+)/m.exec(String(await dst.info('stats')))?.[1]);
      expect(evicted).toBeGreaterThan(20_000);
      const final = await waitFor('the final log line', async () =>
        (await db().taskLog.findMany({ where: { taskId: 'dtsevict1', message: { startsWith: 'full data migration completed' } } }))[0]);
      expect(final.level).toBe('warn');
      const counted = Number(/^full data migration completed, but the destination evicted (\d+) keys while it ran: it does not hold everything written$/.exec(final.message)?.[1]);
      // At its memory limit the destination may evict a few more after the task's last reading, never fewer.
      expect(counted).toBeGreaterThan(20_000);
      expect(counted).toBeLessThanOrEqual(evicted);
      const logs = (await db().taskLog.findMany({ where: { taskId: 'dtsevict1', level: 'warn' } })).map((l) => l.message);
      expect(logs.some((m) => m.startsWith('the destination is evicting keys'))).toBe(true);
      expect((await db().task.findUniqueOrThrow({ where: { id: 'dtsevict1' } })).evictedKeys).toBe(BigInt(counted));
      expect((await readTaskLiveView('dtsevict1'))!.state.evictedKeys).toBe(counted);
    } finally {
      await manager.shutdown();
      src.disconnect();
      dst.disconnect();
      await evicting.stop();
    }
  }, 120_000);

  it('shows Paused only once the destination has acknowledged what was sent', async () => {
    const src = source.client();
    const dst = target.client();
    const sleeper = target.client();
    const manager = new EngineManager();
    await Promise.all([src.flushall(), dst.flushall()]); // earlier tests leave keys: the task blocks on those
    try {
      const endpoint = (port: number) => JSON.stringify({ host: '127.0.0.1', port, authMethod: 'password-free' });
      await db().task.create({
        data: {
          id: 'dtsreview1', name: 'review', region: 'local', status: 'PrecheckPassed', instanceClass: 'unlimited',
          source: endpoint(source.port), target: endpoint(target.port),
          objects: JSON.stringify({ dbs: [{ db: 0, targetDb: 0 }] }),
        },
      });
      await manager.perform('dtsreview1', 'start');
      await waitFor('Running', async () => (await status('dtsreview1')) === 'Running');
      await src.set('warm', '1');
      await waitFor('the stream applied', async () => (await dst.get('warm')) === '1');

      // The destination stops answering for 3 s while a write is on its way to it.
      const asleep = sleeper.call('DEBUG', 'SLEEP', '3');
      await new Promise((r) => setTimeout(r, 100));
      await src.set('in-flight', '1');
      await new Promise((r) => setTimeout(r, 300));
      const pausedAt = Date.now();
      let resolvedAt = 0;
      const pausing = manager.perform('dtsreview1', 'pause').then(() => {
        resolvedAt = Date.now();
      });
      // While the write is unanswered the engine has not confirmed: the task is not shown as Paused.
      await new Promise((r) => setTimeout(r, 1500));
      expect(resolvedAt).toBe(0);
      expect(await status('dtsreview1')).toBe('Running');
      await asleep;
      await pausing;
      expect(await status('dtsreview1')).toBe('Paused');
      expect(resolvedAt - pausedAt).toBeGreaterThan(2000);
      expect(await dst.get('in-flight')).toBe('1');

      await manager.perform('dtsreview1', 'end');
      expect(await status('dtsreview1')).toBe('Ended');
    } finally {
      await manager.shutdown();
      src.disconnect();
      dst.disconnect();
      sleeper.disconnect();
    }
  }, 120_000);
});
