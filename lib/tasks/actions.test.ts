/**
 * Start from the task list on a task that never ran its precheck: the precheck runs
 * first, and the task starts only when it passes (real servers, scratch database).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { RedisServer } from '@/engine/testing/redis-server';

vi.mock('@/lib/auth/guard', () => import('@/lib/auth/testing/operator-guard'));
vi.mock('next/cache', () => ({ revalidatePath: () => undefined }));

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dts-actions-'));
process.env.DATABASE_URL = `file:${path.join(dir, 'dts.db')}`;
process.env.DTS_SECRET_KEY = crypto.randomBytes(32).toString('base64');

const { db } = await import('@/lib/db/client');
const { performTaskAction } = await import('./actions');
const { engineManager } = await import('@/lib/engine/manager');

let source: RedisServer;
let target: RedisServer;

beforeAll(async () => {
  [source, target] = await Promise.all([RedisServer.start(), RedisServer.start()]);
});
afterAll(async () => {
  await Promise.all([source?.stop(), target?.stop()]);
  await db().$disconnect();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function notStarted(id: string): Promise<void> {
  const endpoint = (port: number) => JSON.stringify({ host: '127.0.0.1', port, authMethod: 'password-free' });
  await db().task.create({
    data: {
      id, name: id, region: 'local', status: 'NotStarted', conflictMode: 'block', syncTypes: 'full',
      source: endpoint(source.port), target: endpoint(target.port), objects: JSON.stringify({ dbs: [{ db: 0, targetDb: 0 }] }),
    },
  });
}

describe('Start on a Not Started task', () => {
  it('runs the precheck first and does not start when it fails', async () => {
    const t = target.client();
    await t.set('taken', '1');
    t.disconnect();
    await notStarted('dtsact1');
    const r = await performTaskAction('dtsact1', 'start');
    expect(r).toEqual({ ok: false, message: expect.stringMatching(/^The precheck did not pass, so the task was not started/), code: 'precheck_failed' });
    const task = await db().task.findUniqueOrThrow({ where: { id: 'dtsact1' } });
    expect(task.status).toBe('PrecheckFailed');
    expect(task.startedAt).toBeNull();
    expect(engineManager().isRunning('dtsact1')).toBe(false);
  }, 60_000);

  it('starts once the precheck passes', async () => {
    const t = target.client();
    await t.flushall();
    t.disconnect();
    const s = source.client();
    await s.set('copied', 'yes');
    s.disconnect();
    await notStarted('dtsact2');
    expect(await performTaskAction('dtsact2', 'start')).toEqual({ ok: true });
    const logs = (await db().taskLog.findMany({ where: { taskId: 'dtsact2' }, orderBy: { id: 'asc' } })).map((l) => l.message);
    expect(logs.slice(0, 2)).toEqual(['precheck started', 'precheck finished: PrecheckPassed']);
    const deadline = Date.now() + 30_000;
    while ((await db().task.findUniqueOrThrow({ where: { id: 'dtsact2' } })).status !== 'Completed') {
      if (Date.now() > deadline) throw new Error('the task did not complete');
      await new Promise((r) => setTimeout(r, 100));
    }
    const d = target.client();
    expect(await d.get('copied')).toBe('yes');
    d.disconnect();
  }, 60_000);
});
