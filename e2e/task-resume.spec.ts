/**
 * A resumed task's details page, against real redis-server processes: the full
 * migration completes, the task fails (the destination refuses writes: OOM), Start
 * resumes it by partial resync in a new engine process — and the Full Data
 * Migration panel still shows the completed migration (100 %, its keys, when it
 * completed) and says the task resumed by partial resync, instead of "Not started 0 %".
 */
import { expect, test } from '@playwright/test';
import { createDb } from '../lib/db/client';
import { selfManagedEndpoint, shot, useServerPair } from './testing/journey';

const TASK_ID = 'dtse2eresume01';
const TASK_NAME = 'resume-journey';
const KEYS = 200;

test.describe.configure({ mode: 'serial' });

const servers = useServerPair();

test('after a failure and Start, the Full Data Migration panel shows the completed migration and the partial resync', async ({ page }, info) => {
  test.setTimeout(180_000);
  const { source, target } = servers();
  const src = source.client();
  const dst = target.client();
  const prisma = createDb(process.env.E2E_DATABASE_FILE!);
  try {
    const pipeline = src.pipeline();
    for (let i = 0; i < KEYS; i++) pipeline.set(`user:${i}`, `value-${i}`);
    await pipeline.exec();
    const now = new Date().toISOString();
    await prisma.task.create({
      data: {
        id: TASK_ID, name: TASK_NAME, region: 'local', status: 'PrecheckPassed', instanceClass: 'large',
        source: selfManagedEndpoint(source.port), target: selfManagedEndpoint(target.port),
        objects: JSON.stringify({ dbs: [{ db: 0, targetDb: 0 }] }),
        precheck: JSON.stringify({ runId: 'e2e', startedAt: now, finishedAt: now, items: [] }),
      },
    });

    await page.goto(`/sync-tasks/${TASK_ID}`);
    await page.getByRole('button', { name: 'Start', exact: true }).click();
    await expect(page.getByRole('status', { name: 'Status: Running' })).toBeVisible({ timeout: 90_000 });
    const full = page.getByRole('region', { name: 'Full Data Migration' });
    await expect(full).toContainText('Completed');
    await expect(full.getByRole('list', { name: 'Full Data Migration history' })).toContainText(/Completed at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);
    await expect.poll(async () => (await prisma.taskShard.findFirst({ where: { taskId: TASK_ID } }))?.offset ?? null, { timeout: 30_000 }).not.toBeNull();

    // The destination refuses writes (OOM): the task fails with the reply (the writer reports it at its next write, so keep writing).
    await dst.config('SET', 'maxmemory', '1');
    await src.set('while-failing', '1');
    await expect.poll(async () => {
      await src.incr('poke');
      return (await prisma.task.findUniqueOrThrow({ where: { id: TASK_ID } })).status;
    }, { timeout: 60_000, intervals: [500] }).toBe('Failed');
    await expect(page.getByRole('status', { name: 'Status: Failed' })).toBeVisible({ timeout: 30_000 });
    await expect(page.getByRole('alert').filter({ hasText: 'The task failed' })).toContainText('OOM');
    await expect(full).toContainText('Completed');
    await shot(page, info, '01-failed-after-full');

    // Fixed, then Start: a new engine process continues from the checkpoint by partial resync.
    await dst.config('SET', 'maxmemory', '0');
    await page.getByRole('button', { name: 'Start', exact: true }).click();
    await expect(page.getByRole('status', { name: 'Status: Running' })).toBeVisible({ timeout: 60_000 });
    await expect.poll(() => dst.get('while-failing'), { timeout: 30_000 }).toBe('1');
    const pokes = await src.get('poke');
    await expect.poll(() => dst.get('poke'), { timeout: 30_000 }).toBe(pokes);
    const log = page.getByRole('region', { name: 'Task Log' });
    await expect(log).toContainText('resumed by partial resync');
    // The resumed engine's progress has been written to the record since (it used to overwrite the panel's figures with 0).
    const runningSince = Date.now();
    await expect.poll(async () => (await prisma.task.findUniqueOrThrow({ where: { id: TASK_ID } })).updatedAt.getTime(), { timeout: 30_000 })
      .toBeGreaterThan(runningSince + 1500);

    await expect(full.getByRole('progressbar', { name: 'Full Data Migration progress' })).toHaveAttribute('aria-valuenow', '100');
    await expect(full).toContainText(`${KEYS} / ${KEYS}`);
    await expect(full).toContainText('Completed');
    await expect(full).not.toContainText('Not started');
    const history = full.getByRole('list', { name: 'Full Data Migration history' });
    await expect(history).toContainText(/Completed at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);
    await expect(history).toContainText(/Resumed by partial resync at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC: the full migration did not run again/);
    await shot(page, info, '02-resumed-panel');

    await page.getByRole('button', { name: 'End', exact: true }).click();
    await page.getByRole('dialog', { name: `End the task ${TASK_NAME}?` }).getByRole('button', { name: 'End Task' }).click();
    await expect(page.getByRole('status', { name: 'Status: Ended' })).toBeVisible({ timeout: 90_000 });
    await expect(full).toContainText('Completed');
  } finally {
    await dst.config('SET', 'maxmemory', '0').catch(() => undefined);
    src.disconnect();
    dst.disconnect();
    await prisma.$disconnect();
  }
});
