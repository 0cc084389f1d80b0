/**
 * Distributed mode in the console (issue 18), on a console of its own: PostgreSQL for the records, a
 * control-plane redis-server for the queue, a real `npm run worker` process. Start a task from the list;
 * the Workers panel (Sync Tasks, Instances, the task's details) shows the worker responding and the
 * shard it runs, the Source Offsets table names the worker; the worker killed with SIGKILL shows as not
 * responding, a second worker takes the shard over and the details say so; Cut Over asks the worker for the
 * keys its stream wrote, and its End reaches the worker.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { createDb, migrateDatabase } from '../lib/db/client';
import { createTestPostgresDatabase, type TestPostgresDatabase } from '../lib/db/testing/postgres-database';
import { RedisServer, freePort } from '../engine/testing/redis-server';
import { ROOT, startConsoleProcess, stopConsoleProcess, type ConsoleProcess } from './testing/console-server';
import { selfManagedEndpoint, shot } from './testing/journey';

const TASK_ID = 'dtse2edistrib01';
const TASK_NAME = 'distributed-journey';
const PASSWORD = 'distributed-admin-pw-7';
const STALL_MS = 4000;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redis-dts-e2e-distributed-'));
const secretKey = crypto.randomBytes(32).toString('base64');
let database: TestPostgresDatabase;
let control: RedisServer;
let source: RedisServer;
let target: RedisServer;
let server: ConsoleProcess | undefined;
let base = '';
const workers = new Map<string, ChildProcess>();

function startWorker(name: string): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'lib', 'engine', 'queue', 'worker-main.ts')], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: database.url, DTS_QUEUE_URL: `redis://127.0.0.1:${control.port}`, DTS_SECRET_KEY: secretKey,
      DTS_WORKER_NAME: name, DTS_WORKER_SLOTS: '2', DTS_WORKER_STALL_MS: String(STALL_MS), DTS_DATA_DIR: path.join(dir, name) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  workers.set(name, child);
  return child;
}

async function killed(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exit = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exit;
}

test.describe.configure({ mode: 'serial' });
test.use({ storageState: { cookies: [], origins: [] } });

test.beforeAll(async () => {
  test.setTimeout(180_000);
  database = await createTestPostgresDatabase('e2e-distributed');
  [control, source, target] = await Promise.all([RedisServer.start(), RedisServer.start(), RedisServer.start()]);
  await migrateDatabase({ provider: 'postgresql', url: database.url });
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env, PORT: String(port), DATABASE_URL: database.url, DTS_QUEUE_URL: `redis://127.0.0.1:${control.port}`,
    DTS_SECRET_KEY: secretKey, DTS_DATA_DIR: path.join(dir, 'console'), DTS_ADMIN_PASSWORD: PASSWORD,
    DTS_SESSION_SECRET: crypto.randomBytes(32).toString('base64'),
  };
  delete env.DTS_ADMIN_RESET;
  server = await startConsoleProcess(base, [path.join(ROOT, 'node_modules', 'next', 'dist', 'bin', 'next'), 'start', '-p', String(port)], env);
  startWorker('e2e-w1');
});

test.afterAll(async () => {
  await Promise.all([...workers.values()].map(killed));
  await stopConsoleProcess(server);
  await Promise.all([control?.stop(), source?.stop(), target?.stop()]);
  await database?.drop();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('the Workers panel: which worker runs the shard, its health, a take-over after SIGKILL', async ({ page }, info) => {
  test.setTimeout(240_000);
  const src = source.client();
  const dst = target.client();
  const prisma = createDb({ provider: 'postgresql', url: database.url });
  try {
    for (let i = 0; i < 200; i++) await src.set(`k:${i}`, `v${i}`);
    await prisma.task.create({
      data: {
        id: TASK_ID, name: TASK_NAME, region: 'local', status: 'PrecheckPassed', instanceClass: 'unlimited',
        source: selfManagedEndpoint(source.port), target: selfManagedEndpoint(target.port),
        objects: JSON.stringify({ dbs: [{ db: 0, targetDb: 0 }] }),
      },
    });

    await page.goto(`${base}/sign-in`);
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign In' }).click();
    await expect(page.getByRole('heading', { name: 'Data Synchronization Tasks', exact: true })).toBeVisible();

    await page.goto(`${base}/sync-tasks?region=local`);
    const panel = page.getByRole('region', { name: 'Workers' });
    const w1 = panel.getByRole('row', { name: /e2e-w1/ });
    await expect(w1).toContainText('Responding', { timeout: 30_000 });
    await expect(w1).toContainText('0 of 2');
    await expect(panel).toContainText('1 of 1 worker(s) responding');

    const row = page.getByRole('region', { name: 'Tasks' }).getByRole('row', { name: new RegExp(TASK_NAME) });
    await row.getByRole('button', { name: 'Start', exact: true }).click();
    await expect(row).toContainText('Running', { timeout: 90_000 });
    await expect(w1).toContainText('1 of 2');
    await expect(w1.getByRole('link', { name: TASK_NAME })).toBeVisible();
    await expect(w1).toContainText(`127.0.0.1:${source.port}`);
    await shot(page, info, '01-list-workers');
    await expect.poll(() => dst.get('k:199'), { timeout: 60_000 }).toBe('v199');
    await src.set('after-start', 'through-the-worker');
    await expect.poll(() => dst.get('after-start'), { timeout: 30_000 }).toBe('through-the-worker');

    await page.goto(`${base}/instances`);
    await expect(page.getByRole('region', { name: 'Workers' }).getByRole('row', { name: /e2e-w1/ })).toContainText('Responding');

    await page.goto(`${base}/sync-tasks/${TASK_ID}`);
    const offsets = page.getByRole('region', { name: 'Source Offsets' });
    await expect(offsets.getByRole('columnheader', { name: 'Worker' })).toBeVisible();
    await expect(offsets.getByRole('row', { name: new RegExp(`127.0.0.1:${source.port}`) })).toContainText('e2e-w1');
    const taskWorkers = page.getByRole('region', { name: 'Workers' });
    await expect(taskWorkers.getByRole('row', { name: /e2e-w1/ })).toContainText('Responding');
    await shot(page, info, '02-details-worker');

    // The worker's host dies: it shows as not responding; a new worker takes the shard over.
    await killed(workers.get('e2e-w1'));
    await expect(taskWorkers.getByRole('row', { name: /e2e-w1/ })).toContainText('Not responding since', { timeout: 20_000 });
    startWorker('e2e-w2');
    await expect(offsets.getByRole('row', { name: new RegExp(`127.0.0.1:${source.port}`) })).toContainText('e2e-w2', { timeout: 60_000 });
    await expect(taskWorkers.getByRole('row', { name: /e2e-w2/ })).toContainText('Responding');
    await src.set('after-takeover', 'resumed');
    await expect.poll(() => dst.get('after-takeover'), { timeout: 30_000 }).toBe('resumed');
    await expect(page.getByRole('status', { name: 'Status: Running' })).toBeVisible();
    await shot(page, info, '03-taken-over');

    // Cut Over: the worker's engine says which keys its stream wrote; End reaches it.
    const cutover = page.getByRole('region', { name: 'Cut Over' });
    const button = cutover.getByRole('button', { name: 'Cut Over' });
    await expect(button).toBeEnabled({ timeout: 30_000 });
    await button.click();
    await expect(cutover.getByRole('status')).toContainText(/^The destination held every write up to offset \d+ of replication id [0-9a-f]{40} at .* every key the stream wrote \([1-9]\d*\)/, { timeout: 60_000 });
    await expect(page.getByRole('status', { name: 'Status: Ended' })).toBeVisible({ timeout: 90_000 });
    await shot(page, info, '04-cut-over');
    await page.goto(`${base}/sync-tasks?region=local`);
    await expect(page.getByRole('region', { name: 'Workers' }).getByRole('row', { name: /e2e-w2/ })).toContainText('0 of 2', { timeout: 20_000 });
  } finally {
    src.disconnect();
    dst.disconnect();
    await prisma.$disconnect();
  }
});
