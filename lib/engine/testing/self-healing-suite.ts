/**
 * Test support: the self-healing suite, run by self-healing.test.ts (SQLite) and
 * self-healing.postgresql.test.ts (PostgreSQL): the importing test sets DATABASE_URL first.
 * The console heals a task by itself, against real redis-server processes, the
 * real database and real engine processes killed with SIGKILL:
 * - an engine process that dies is started again (Retrying with the reason,
 *   then Running), resuming from the destination's record: nothing applied twice;
 * - when the restarts outlast the retry time the task is Failed, with every
 *   attempt in its log, and Start on it resumes exactly;
 * - the whole console killed and started again resumes every running task exactly.
 * Each under a load of commands that count twice when applied twice.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Redis from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { compareKeyByKey } from '@/engine/testing/compare';
import { FAULT_LOAD_MAX_TTL_MS, startFaultLoad, type FaultLoad } from '@/engine/testing/fault-load';
import { RedisServer } from '@/engine/testing/redis-server';

if (!process.env.DATABASE_URL) throw new Error('the self-healing suite runs on the database its test names in DATABASE_URL');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dts-healing-'));
process.env.DTS_DATA_DIR = dir;
process.env.DTS_SECRET_KEY = Buffer.alloc(32, 9).toString('base64');

const { db, migrateDatabase } = await import('@/lib/db/client');
const { EngineManager } = await import('../manager');
await migrateDatabase();

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

async function logsOf(id: string): Promise<string> {
  return (await db().taskLog.findMany({ where: { taskId: id }, orderBy: { id: 'asc' } })).map((l) => `${l.level}: ${l.message}`).join('\n');
}

let source: RedisServer;
let target: RedisServer;
let src: Redis;
let dst: Redis;
let loadClient: Redis;
let load: FaultLoad | undefined;
let taskCount = 0;

beforeAll(async () => {
  [source, target] = await Promise.all([
    RedisServer.start({ config: { 'repl-diskless-sync-delay': 0, 'repl-backlog-size': '64mb' } }),
    RedisServer.start(),
  ]);
  src = source.client();
  dst = target.client();
});
afterAll(async () => {
  src?.disconnect();
  dst?.disconnect();
  await Promise.all([source?.stop(), target?.stop()]);
  await db().$disconnect();
  fs.rmSync(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  await Promise.all([src.flushall(), dst.flushall()]);
  loadClient = source.client();
});
afterEach(async () => {
  await load?.stop();
  load = undefined;
  loadClient.disconnect();
});

async function createTask(): Promise<string> {
  const id = `dtsheal${++taskCount}`;
  const endpoint = (port: number) => JSON.stringify({ host: '127.0.0.1', port, authMethod: 'password-free' });
  await db().task.create({
    data: { id, name: id, region: 'local', status: 'PrecheckPassed', instanceClass: 'unlimited', source: endpoint(source.port), target: endpoint(target.port) },
  });
  return id;
}

/** Stops the load, lets its expiries run out, and waits until the destination equals the source. */
async function settleEqual(): Promise<void> {
  await load?.stop();
  load = undefined;
  await new Promise((r) => setTimeout(r, FAULT_LOAD_MAX_TTL_MS + 300));
  const p = src.pipeline();
  for (const k of await src.keys('*')) p.exists(k);
  await p.exec();
  let diffs: unknown[] = [];
  await waitFor('the destination to equal the source', async () => {
    diffs = await compareKeyByKey(src, dst, [0]);
    return diffs.length === 0;
  }, 30_000).catch(() => {
    throw new Error(`the destination differs: ${JSON.stringify(diffs.slice(0, 5))}`);
  });
}

describe(`self-healing (${process.env.DATABASE_URL.split(':')[0]})`, () => {
  it('an engine process killed -9 is started again: Retrying with the reason, then Running from the record; equal', async () => {
    const id = await createTask();
    const manager = new EngineManager();
    try {
      await manager.perform(id, 'start');
      await waitFor('Running', async () => (await status(id)) === 'Running');
      load = startFaultLoad(loadClient, { seed: 41 });
      for (let kill = 1; kill <= 3; kill++) {
        await new Promise((r) => setTimeout(r, 400));
        const pid = manager.enginePid(id)!;
        process.kill(pid, 'SIGKILL');
        await waitFor(`Retrying after kill ${kill}`, async () => (await status(id)) === 'Retrying');
        expect((await db().task.findUniqueOrThrow({ where: { id } })).errorMessage).toBe('the engine process stopped unexpectedly (SIGKILL)');
        await waitFor(`Running after kill ${kill}`, async () => (await status(id)) === 'Running' && manager.enginePid(id) !== pid, 20_000);
      }
      await settleEqual();
      const logs = await logsOf(id);
      expect(logs).toMatch(/stopped unexpectedly \(SIGKILL\); starting it again in 1 s \(restart 1\)/);
      expect(logs).toMatch(/\(restart 3\)/);
      expect(logs).toMatch(/as its record of the task says: resuming there|resumed by partial resync/);
      expect(logs).not.toMatch(/may now differ from the source/);
      await manager.perform(id, 'end');
      await manager.perform(id, 'release');
      // Release takes the task's record off the destination.
      expect(await dst.keys('DTS_REDIS_CHECKPOINT*')).toEqual([]);
      expect(await logsOf(id)).toMatch(/deleted the task's record on the destination/);
    } finally {
      await manager.shutdown();
    }
  }, 90_000);

  it('restarts that outlast the retry time leave the task Failed with every attempt logged; Start on it resumes exactly', async () => {
    const id = await createTask();
    const manager = new EngineManager({ restartBudgetMs: 2_500 });
    try {
      await manager.perform(id, 'start');
      await waitFor('Running', async () => (await status(id)) === 'Running');
      load = startFaultLoad(loadClient, { seed: 42 });
      // Every engine dies as soon as it is up, until the task gives up.
      await waitFor('Failed', async () => {
        const pid = manager.enginePid(id);
        if (pid) process.kill(pid, 'SIGKILL');
        return (await status(id)) === 'Failed';
      }, 30_000);
      const failed = await db().task.findUniqueOrThrow({ where: { id } });
      expect(failed.errorMessage).toMatch(/^the engine process stopped unexpectedly \(SIGKILL\); gave up after \d+ restart\(s\): the Retry Time for Other Issues ran out$/);
      expect((await logsOf(id)).match(/starting it again in/g)?.length).toBeGreaterThanOrEqual(2);
      // The operator starts it again: it continues from the destination's record.
      await manager.perform(id, 'start');
      await waitFor('Running again', async () => (await status(id)) === 'Running');
      await settleEqual();
      expect(await logsOf(id)).not.toMatch(/may now differ from the source/);
      await manager.perform(id, 'end');
    } finally {
      await manager.shutdown();
    }
  }, 90_000);

  it('the whole console killed -9 and started again: the running task resumes from the record; equal', async () => {
    const id = await createTask();
    const script = path.join(import.meta.dirname, 'console-process.ts');
    const consoleProcess = spawn(process.execPath, ['--import', 'tsx', script, 'start', id], {
      cwd: process.cwd(), env: { ...process.env }, stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise((r) => consoleProcess.once('exit', r));
    const manager = new EngineManager();
    try {
      await waitFor('Running under the first console', async () => (await status(id)) === 'Running', 60_000);
      load = startFaultLoad(loadClient, { seed: 43 });
      await new Promise((r) => setTimeout(r, 1_000));
      process.kill(consoleProcess.pid!, 'SIGKILL');
      await exited;
      expect(await status(id)).toBe('Running'); // nobody recorded an end: the next console resumes it
      await manager.recover();
      await waitFor('Running under the new console', async () => manager.isRunning(id) && (await status(id)) === 'Running', 60_000);
      await settleEqual();
      const logs = await logsOf(id);
      expect(logs).toMatch(/the console restarted; resuming the task/);
      expect(logs).not.toMatch(/may now differ from the source/);
      await manager.perform(id, 'end');
    } finally {
      if (consoleProcess.exitCode === null) consoleProcess.kill('SIGKILL');
      await manager.shutdown();
    }
  }, 120_000);
});
