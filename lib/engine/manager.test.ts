/**
 * The engine bridge end to end, against real redis-server processes and a real
 * SQLite database: a task record is started, reaches Running with 100% full
 * migration, replays writes, pauses and starts again without a second full
 * migration, survives a "console restart" by partial resync, ends and is released.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareKeyByKey } from '@/engine/testing/compare';
import { RedisServer } from '@/engine/testing/redis-server';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dts-manager-'));
process.env.DATABASE_URL = `file:${path.join(dir, 'dts.db')}`;
process.env.DTS_SECRET_KEY = Buffer.alloc(32, 7).toString('base64');

const { db } = await import('@/lib/db/client');
const { EngineManager } = await import('./manager');

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

  it('records a failure the engine reports, in words', async () => {
    const endpoint = (port: number) => JSON.stringify({ host: '127.0.0.1', port, authMethod: 'password-free' });
    const dst = target.client();
    await dst.flushall();
    await dst.set('already', 'here');
    dst.disconnect();
    await db().task.create({
      data: {
        id: 'dtsmgr2', name: 'blocked', region: 'local', status: 'PrecheckPassed', conflictMode: 'block',
        source: endpoint(source.port), target: endpoint(target.port), objects: JSON.stringify({ dbs: [{ db: 0, targetDb: 0 }] }),
      },
    });
    const manager = new EngineManager();
    await manager.perform('dtsmgr2', 'start');
    await waitFor('Failed', async () => (await status('dtsmgr2')) === 'Failed');
    const task = await db().task.findUniqueOrThrow({ where: { id: 'dtsmgr2' } });
    expect(task.errorMessage).toMatch(/Destination Object Data Existence Check failed.*"already"/);
  }, 60_000);
});
