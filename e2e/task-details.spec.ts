/**
 * The task list's row actions and the live task details page, against real
 * redis-server processes: Start from the list, watch the full migration reach 100%
 * and Running, see a source write arrive on the destination, the delay and the
 * charts, Upgrade Instance Class, Pause and Start, End (confirmed), Clone, Release.
 */
import { expect, test, type Page } from '@playwright/test';
import { createDb } from '../lib/db/client';
import { selfManagedEndpoint, shot, useServerPair } from './testing/journey';

const TASK_ID = 'dtse2edetails01';
const TASK_NAME = 'details-journey';
const KEYS = 300;

test.describe.configure({ mode: 'serial' });

const servers = useServerPair();

const endpoint = selfManagedEndpoint;

function precheckDoc(): string {
  const item = (id: string, name: string, status: 'passed' | 'warning', reason = '') =>
    ({ id, name, status, reason, details: [], ignorable: status !== 'passed', ignored: false });
  const now = new Date().toISOString();
  return JSON.stringify({
    runId: 'e2e', startedAt: now, finishedAt: now,
    items: [
      item('source-connectivity', 'Source database connectivity', 'passed'),
      item('target-connectivity', 'Destination database connectivity', 'passed'),
      item('target-eviction', 'Destination eviction policy', 'warning', 'maxmemory-policy is not noeviction'),
    ],
  });
}

test('a task from the list to Released, live on its details page', async ({ page }, info) => {
  test.setTimeout(240_000);
  const { source, target } = servers();
  const src = source.client();
  const dst = target.client();
  const prisma = createDb(process.env.E2E_DATABASE_FILE!);
  try {
    const pipeline = src.pipeline();
    for (let i = 0; i < KEYS - 2; i++) pipeline.set(`user:${i}`, `value-${i}`);
    pipeline.hset('profile', { name: 'ada', lang: 'en' });
    pipeline.rpush('queue', 'a', 'b', 'c');
    await pipeline.exec();
    await prisma.task.create({
      data: {
        id: TASK_ID, name: TASK_NAME, region: 'local', status: 'PrecheckPassed', instanceClass: 'large',
        source: endpoint(source.port), target: endpoint(target.port),
        objects: JSON.stringify({ dbs: [{ db: 0, targetDb: 0 }] }), precheck: precheckDoc(),
        logs: { create: [{ level: 'info', message: 'task created' }] },
      },
    });

    // The list: Start from the row; the row follows the task without a reload.
    await page.goto('/sync-tasks?region=local');
    const row = page.getByRole('row', { name: new RegExp(TASK_NAME) });
    await expect(row).toContainText('Precheck Passed');
    await expect(row.getByRole('link', { name: 'Edit Task Settings' })).toBeVisible();
    await expect(row.getByRole('button', { name: 'Pause', exact: true })).toHaveCount(0);
    await shot(page, info, '01-list-precheck-passed');
    await row.getByRole('button', { name: 'Start', exact: true }).click();
    await expect(row).toContainText('Running', { timeout: 90_000 });
    await expect(row.getByRole('button', { name: 'Pause', exact: true })).toBeVisible();
    await expect(row.getByRole('button', { name: 'Release', exact: true })).toHaveCount(0); // not while Running
    await shot(page, info, '02-list-running');

    // Details.
    await row.getByRole('link', { name: 'View Details' }).click();
    await expect(page).toHaveURL(new RegExp(`/sync-tasks/${TASK_ID}`));
    await expect(page.getByRole('heading', { level: 1, name: TASK_NAME })).toBeVisible();
    await expect(page.getByText(TASK_ID, { exact: true })).toBeVisible();
    await expect(page.getByRole('status', { name: 'Status: Running' })).toBeVisible();
    await expect(page.getByText('Live', { exact: true })).toBeVisible();

    const precheck = page.getByRole('region', { name: 'Precheck' });
    await expect(precheck).toContainText('Passed');
    const full = page.getByRole('region', { name: 'Full Data Migration' });
    await expect(full.getByRole('progressbar', { name: 'Full Data Migration progress' })).toHaveAttribute('aria-valuenow', '100');
    await expect(full).toContainText(`${KEYS} / ${KEYS}`);
    await expect(full).toContainText('Completed');

    // A write on the source arrives on the destination.
    await src.set('e2e:live', 'hello');
    await expect.poll(() => dst.get('e2e:live'), { timeout: 30_000 }).toBe('hello');

    const incremental = page.getByRole('region', { name: 'Incremental Data Synchronization' });
    await expect(incremental).toContainText('Synchronizing');
    const delay = incremental.getByText('Synchronization delay', { exact: true }).locator('xpath=following-sibling::dd[1]');
    await expect(delay).toHaveText(/^\d+(\.\d+)? (ms|s)$/, { timeout: 30_000 });
    await expect(incremental).toContainText('Billable time');
    // A standalone destination: the stream is applied in transactions with the task's record.
    await expect(incremental.getByText('Each write applied', { exact: true }).locator('xpath=following-sibling::dd[1]')).toHaveText('Exactly once');

    for (const name of ['RPS', 'MB/s', 'Synchronization delay (ms)']) {
      const chart = page.getByRole('figure', { name });
      await expect(chart.locator('svg.recharts-surface')).toBeVisible({ timeout: 30_000 });
      await expect(chart.locator('.recharts-area-curve')).toHaveCount(1);
    }
    const offsets = page.getByRole('region', { name: 'Source Offsets' });
    await expect(offsets.getByRole('rowheader', { name: `127.0.0.1:${source.port}` })).toBeVisible({ timeout: 30_000 });
    const log = page.getByRole('region', { name: 'Task Log' });
    await expect(log).toContainText('starting: full data migration first');
    const config = page.getByRole('region', { name: 'Configuration' });
    await expect(config).toContainText(`127.0.0.1:${source.port}`);
    await expect(config).toContainText('Precheck And Block');
    await expect(config).toContainText('DB 0');
    await shot(page, info, '03-details-running');

    // Upgrade Instance Class while Running: the engine takes the new rate at once.
    await page.getByRole('button', { name: 'Upgrade Instance Class' }).click();
    const upgrade = page.getByRole('dialog', { name: /Upgrade the instance class/ });
    await expect(upgrade).toContainText('takes the new rate at once');
    await upgrade.getByLabel('Instance Class').selectOption('xlarge');
    await shot(page, info, '04-upgrade-dialog');
    await upgrade.getByRole('button', { name: 'Upgrade', exact: true }).click();
    await expect(upgrade).toBeHidden();
    await expect(page.getByRole('region', { name: 'Task summary' })).toContainText('xlarge');
    await expect(log).toContainText('instance class upgraded from large to xlarge; the engine applies it now');

    // Pause: writes stop reaching the destination; Start: they arrive.
    await page.getByRole('button', { name: 'Pause', exact: true }).click();
    await expect(page.getByRole('status', { name: 'Status: Paused' })).toBeVisible({ timeout: 30_000 });
    await expect(incremental).toContainText('Paused');
    await src.set('e2e:while-paused', '1');
    await page.waitForTimeout(1000);
    expect(await dst.get('e2e:while-paused')).toBeNull();
    await shot(page, info, '05-details-paused');
    await page.getByRole('button', { name: 'Start', exact: true }).click();
    await expect(page.getByRole('status', { name: 'Status: Running' })).toBeVisible({ timeout: 30_000 });
    await expect.poll(() => dst.get('e2e:while-paused'), { timeout: 30_000 }).toBe('1');

    // End, confirmed in a dialog that says what happens.
    await page.getByRole('button', { name: 'End', exact: true }).click();
    const endDialog = page.getByRole('dialog', { name: `End the task ${TASK_NAME}?` });
    await expect(endDialog).toContainText('heartbeat key');
    await expect(endDialog).toContainText('task record');
    await shot(page, info, '06-end-dialog');
    await endDialog.getByRole('button', { name: 'End Task' }).click();
    await expect(page.getByRole('status', { name: 'Status: Ended' })).toBeVisible({ timeout: 90_000 });
    await expect(endDialog).toBeHidden();
    await expect.poll(() => src.keys('DTS_REDIS_TIMESTAMP_HEARTBEAT*'), { timeout: 10_000 }).toEqual([]);
    await expect(page.getByRole('button', { name: 'Start', exact: true })).toHaveCount(0);
    await expect(log).toContainText('task ended');
    await shot(page, info, '07-details-ended');

    // Clone: a Not Started copy with the same settings.
    await page.getByRole('button', { name: 'Clone', exact: true }).click();
    await expect(page.getByRole('status').filter({ hasText: `Created ${TASK_NAME} (copy)` })).toBeVisible();

    // Release, confirmed; back on the list the task is gone, its copy is there.
    await page.getByRole('button', { name: 'Release', exact: true }).click();
    const releaseDialog = page.getByRole('dialog', { name: `Release the task ${TASK_NAME}?` });
    await expect(releaseDialog).toContainText('removes it from the task list');
    await shot(page, info, '08-release-dialog');
    await releaseDialog.getByRole('button', { name: 'Release Task' }).click();
    await expect(page).toHaveURL(/\/sync-tasks\?region=local$/, { timeout: 30_000 });
    await expect(page.getByRole('row', { name: new RegExp(`${TASK_ID}|${TASK_NAME}(?! \\(copy\\))`) })).toHaveCount(0);
    await expect(page.getByRole('row', { name: new RegExp(`${TASK_NAME} \\(copy\\)`) })).toContainText('Not Started');
    await shot(page, info, '09-list-released');
    expect((await prisma.task.findUniqueOrThrow({ where: { id: TASK_ID } })).status).toBe('Released');
  } finally {
    src.disconnect();
    dst.disconnect();
    await prisma.$disconnect();
  }
});

test('End and Release from the list rows, with errors in words', async ({ page }, info) => {
  const prisma = createDb(process.env.E2E_DATABASE_FILE!);
  try {
    // A Failed task without an engine: End is not offered; Release is, after a confirmation.
    await prisma.task.create({
      data: {
        id: 'dtse2efailed01', name: 'failed-row', region: 'local', status: 'Failed', errorMessage: 'the source refused the password',
        source: endpoint(1), target: endpoint(2), objects: JSON.stringify({ dbs: [{ db: 0, targetDb: 0 }] }),
        advanced: JSON.stringify({ monitoring: { enabled: true, delayThresholdSeconds: 10, statusAlert: true } }),
      },
    });
    await page.goto('/sync-tasks/dtse2efailed01');
    await expect(page.getByRole('alert').filter({ hasText: 'the source refused the password' })).toBeVisible();
    // Monitoring and Alerting is on for this task: its abnormal status is raised on the page and in the list.
    await expect(page.getByRole('alert').filter({ hasText: 'Monitoring and Alerting' })).toContainText('The task is Failed.');
    await shot(page, info, '10-details-failed');

    await page.goto('/sync-tasks?region=local');
    const row = page.getByRole('row', { name: /failed-row/ });
    await expect(row.getByRole('status').filter({ hasText: 'Alert:' })).toHaveText('Alert: The task is Failed.');
    await expect(row.getByRole('button', { name: 'End', exact: true })).toHaveCount(0);
    // The state changes while the list cannot refresh: the server refuses in words, then the row catches up.
    await page.route('**/api/tasks?**', (route) => route.abort());
    await prisma.task.update({ where: { id: 'dtse2efailed01' }, data: { status: 'Ended' } });
    await row.getByRole('button', { name: 'Start', exact: true }).click();
    await expect(row.getByRole('alert')).toHaveText(/A task that is Ended cannot be started\./);
    await expect(page.getByRole('alert').filter({ hasText: 'The list could not be refreshed' })).toBeVisible({ timeout: 10_000 });
    await shot(page, info, '11-list-refused');
    await page.unroute('**/api/tasks?**');
    await expect(row).toContainText('Ended', { timeout: 10_000 });
    await expect(row.getByRole('button', { name: 'Start', exact: true })).toHaveCount(0);

    await row.getByRole('button', { name: 'Release', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Release the task failed-row?' });
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect(dialog).toBeHidden();
    await expect(row).toBeVisible();
    await row.getByRole('button', { name: 'Release', exact: true }).click();
    await dialog.getByRole('button', { name: 'Release Task' }).click();
    await expect(page.getByRole('row', { name: /failed-row/ })).toHaveCount(0, { timeout: 10_000 });
  } finally {
    await prisma.$disconnect();
  }
});

test('an unknown task ID shows a 404', async ({ page, request }, info) => {
  // The page streams behind the loading skeleton, so Next.js has already sent 200 when the
  // page finds no task: it renders the not-found page and marks it noindex. The routes answer 404.
  await page.goto('/sync-tasks/dtsdoesnotexist0');
  await expect(page.getByRole('heading', { name: '404: task not found' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Back to Data Synchronization Tasks' })).toBeVisible();
  await expect(page.locator('meta[name="robots"]').first()).toHaveAttribute('content', /noindex/);
  await shot(page, info, '12-not-found');
  expect((await request.get('/api/tasks/dtsdoesnotexist0')).status()).toBe(404);
  expect((await request.get('/api/tasks/dtsdoesnotexist0/events')).status()).toBe(404);
});
