/**
 * Regression test from a review of the Pause action (manager.ts): the task shows Paused on
 * the engine's answer that it writes nothing more, not on the stage it reports at once.
 * Real redis-server processes, a real SQLite database and a real worker process.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisServer } from '@/engine/testing/redis-server';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dts-review-'));
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
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function status(id: string): Promise<string> {
  return (await db().task.findUniqueOrThrow({ where: { id } })).status;
}

describe('Pause', () => {
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

  it('shows Paused only once the destination has acknowledged what was sent', async () => {
    const src = source.client();
    const dst = target.client();
    const sleeper = target.client();
    const manager = new EngineManager();
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
