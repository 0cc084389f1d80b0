/**
 * The Create Task wizard against real redis-server processes: the whole
 * journey with a Self-managed source and destination, and the failures a user
 * meets at step 1 and at the precheck. Screenshots of each step are attached.
 */
import { expect, test, type Page, type TestInfo } from '@playwright/test';
import { startManagedSource } from '../engine/testing/managed-source';
import { freePort, RedisServer } from '../engine/testing/redis-server';
import { shot } from './testing/journey';

let source: RedisServer;
let target: RedisServer;
let occupied: RedisServer;
let managed: RedisServer;
let managedTarget: RedisServer;

test.beforeAll(async () => {
  // A managed service's stand-in: PSYNC, SYNC and CONFIG renamed away, notifications set in its config file.
  [managed, managedTarget] = await Promise.all([startManagedSource({ password: 'mgdpw' }), RedisServer.start()]);
  const m = managed.client();
  for (let i = 0; i < 50; i++) await m.set(`managed:${i}`, String(i));
  m.disconnect();
  source = await RedisServer.start({ password: 'srcpw' });
  target = await RedisServer.start();
  occupied = await RedisServer.start();
  const s = source.client();
  await s.mset('user:1', 'ada', 'user:2', 'grace', 'user:3', 'linus');
  await s.select(1);
  await s.hset('session:9', 'user', '1');
  await s.sadd('tags', 'a', 'b');
  s.disconnect();
  const o = occupied.client();
  await o.set('already:here', 'x');
  o.disconnect();
});

test.afterAll(async () => {
  await managed?.stop();
  await managedTarget?.stop();
  await source?.stop();
  await target?.stop();
  await occupied?.stop();
});

async function fillSide(page: Page, legend: 'Source Database' | 'Destination Database', port: number, password = '') {
  const side = page.getByRole('group', { name: legend });
  await side.getByLabel('Access Method').selectOption({ label: 'Self-managed Database' });
  await side.getByLabel('Host').fill('127.0.0.1');
  await side.getByLabel('Port').fill(String(port));
  await side.getByLabel('Database Password').fill(password);
}

async function selectDbs(page: Page, dbs: number[]) {
  const list = page.getByRole('listbox', { name: 'Source Objects' });
  for (const [i, db] of dbs.entries()) {
    await list.getByRole('option', { name: new RegExp(`^DB ${db} `) }).click({ modifiers: i === 0 ? [] : ['ControlOrMeta'] });
  }
  await page.getByRole('button', { name: 'Move to Selected Objects' }).click();
}

interface Walk {
  name: string;
  targetPort: number;
  dbs: number[];
  prefix: string;
  /** Another source than the spec's default one. */
  source?: { port: number; password: string };
  /** Changes made on step 3 (Advanced Settings). */
  advanced?: (page: Page) => Promise<void>;
  /** Checks made on step 4 (Data Verification). */
  verification?: (page: Page) => Promise<void>;
}

async function walkToPrecheck(page: Page, info: TestInfo, opts: Walk) {
  await page.goto('/sync-tasks?region=local');
  await page.getByRole('link', { name: 'Create Task' }).click();
  await expect(page).toHaveURL(/\/sync-tasks\/new\?region=local/);
  await expect(page.getByRole('heading', { name: '1. Configure Source and Destination Databases' })).toBeVisible();
  await page.getByLabel('Task Name').fill(opts.name);
  await fillSide(page, 'Source Database', opts.source?.port ?? source.port, opts.source?.password ?? 'srcpw');
  await fillSide(page, 'Destination Database', opts.targetPort);
  await shot(page, info, `${opts.prefix}-1-source-destination`);
  await page.getByRole('button', { name: 'Test Connection And Proceed' }).click();

  await expect(page.getByRole('heading', { name: '2. Configure Objects' })).toBeVisible({ timeout: 15_000 });
  await expect(page.getByRole('radio', { name: /^Full Synchronization \+ Incremental Synchronization/ })).toBeChecked();
  await expect(page.getByRole('radio', { name: /^Precheck And Block/ })).toBeChecked();
  await selectDbs(page, opts.dbs);
  const selected = page.getByRole('listbox', { name: 'Selected Objects' });
  await expect(selected.getByRole('option')).toHaveCount(opts.dbs.length);
  await shot(page, info, `${opts.prefix}-2-objects`);
  await page.getByRole('button', { name: 'Next: Advanced Configurations' }).click();

  await expect(page.getByRole('heading', { name: '3. Advanced Settings' })).toBeVisible();
  await expect(page.getByLabel('Retry Time for Failed Connections')).toHaveValue('720');
  await expect(page.getByLabel('Retry Time for Other Issues')).toHaveValue('10');
  await expect(page.getByLabel('Extend Expiration Time of Destination Database Key')).toHaveValue('0');
  await expect(page.getByRole('radio', { name: /^Replication \(PSYNC\)/ })).toBeChecked();
  await opts.advanced?.(page);
  await shot(page, info, `${opts.prefix}-3-advanced`);
  await page.getByRole('button', { name: 'Next: Data Verification' }).click();

  await expect(page.getByRole('heading', { name: '4. Data Verification' })).toBeVisible();
  await opts.verification?.(page);
  await shot(page, info, `${opts.prefix}-4-verification`);
  await page.getByRole('button', { name: 'Next: Save Task Settings and Precheck' }).click();
  await expect(page.getByRole('heading', { name: '5. Precheck' })).toBeVisible({ timeout: 15_000 });
}

test.describe('Create Task wizard', () => {
  test('walks all six steps with Self-managed databases and starts the task', async ({ page }, info) => {
    test.setTimeout(120_000);
    await walkToPrecheck(page, info, { name: 'e2e-wizard-journey', targetPort: target.port, dbs: [0, 1], prefix: 'journey' });
    await expect(page.getByText('Precheck passed')).toBeVisible({ timeout: 45_000 });
    await expect(page.getByLabel('Success rate')).toHaveText('100%');
    const items = page.getByRole('list', { name: 'Precheck items' }).getByRole('listitem');
    await expect(items).toHaveCount(11);
    await items.filter({ hasText: 'Source PSYNC/SYNC permission' }).getByRole('button', { name: 'View Details' }).click();
    await expect(page.getByRole('region', { name: 'Source PSYNC/SYNC permission details' })).toContainText('PSYNC');
    await shot(page, info, 'journey-5-precheck');
    await page.getByRole('button', { name: 'Next: Purchase Instance' }).click();

    await expect(page.getByRole('heading', { name: '6. Purchase' })).toBeVisible();
    await expect(page.getByRole('radio', { name: /^large/ })).toBeChecked();
    await expect(page.getByRole('radio', { name: 'Pay-as-you-go' })).toBeChecked();
    await expect(page.getByRole('button', { name: 'Purchase And Start' })).toBeDisabled();
    await page.getByLabel(/Terms of Service/).check();
    await shot(page, info, 'journey-6-purchase');
    await page.getByRole('button', { name: 'Purchase And Start' }).click();

    await expect(page).toHaveURL(/\/sync-tasks(\/dts[a-z0-9]+)?\?region=local/, { timeout: 20_000 });
    await expect(page.getByText('e2e-wizard-journey').first()).toBeVisible();
    await shot(page, info, 'journey-7-started');
  });

  test('a source that refuses PSYNC is read with Read Method Scan: its precheck passes, and the task copies it in Scan mode', async ({ page }, info) => {
    test.setTimeout(120_000);
    await walkToPrecheck(page, info, {
      name: 'e2e-scan-mode', targetPort: managedTarget.port, dbs: [0], prefix: 'scan', source: { port: managed.port, password: 'mgdpw' },
      advanced: async (p) => { await p.getByRole('radio', { name: /^Scan/ }).check(); },
      // Scan mode switches Incremental Data Verification on by default.
      verification: async (p) => {
        await expect(p.getByRole('group', { name: 'Incremental Data Verification' }).getByRole('radio', { name: 'Yes' })).toBeChecked();
      },
    });
    await expect(page.getByText('Precheck passed')).toBeVisible({ timeout: 45_000 });
    const items = page.getByRole('list', { name: 'Precheck items' }).getByRole('listitem');
    await expect(items.filter({ hasText: 'Source SCAN/DUMP permission' })).toHaveCount(1);
    await expect(items.filter({ hasText: 'Source PSYNC/SYNC permission' })).toHaveCount(0);
    await shot(page, info, 'scan-5-precheck');
    await page.getByRole('button', { name: 'Next: Purchase Instance' }).click();
    await page.getByLabel(/Terms of Service/).check();
    await page.getByRole('button', { name: 'Purchase And Start' }).click();
    await expect(page).toHaveURL(/\/sync-tasks(\/dts[a-z0-9]+)?\?region=local/, { timeout: 20_000 });
    await page.goto('/sync-tasks?region=local');
    const row = page.getByRole('row').filter({ hasText: 'e2e-scan-mode' });
    await expect(row.getByText('Scan mode')).toBeVisible();
    await shot(page, info, 'scan-6-list');
    await row.getByRole('link').first().click();
    await expect(page.getByRole('region', { name: 'Configuration' })).toContainText('Scan mode: SCAN, DUMP and keyspace notifications');
    await shot(page, info, 'scan-7-details');
    const dst = managedTarget.client();
    try {
      await expect.poll(async () => (await dst.get('managed:49')), { timeout: 60_000 }).toBe('49');
      const m = managed.client();
      await m.set('managed:after', 'written after the scan');
      m.disconnect();
      await expect.poll(async () => (await dst.get('managed:after')), { timeout: 30_000 }).toBe('written after the scan');
    } finally {
      dst.disconnect();
    }
  });

  test('step 1 says which side failed: a wrong password and an unreachable port', async ({ page }, info) => {
    const closed = await freePort();
    await page.goto('/sync-tasks/new?region=local');
    await fillSide(page, 'Source Database', source.port, 'not-the-password');
    await fillSide(page, 'Destination Database', closed);
    await page.getByRole('button', { name: 'Test Connection And Proceed' }).click();
    const src = page.getByRole('group', { name: 'Source Database' }).getByRole('alert');
    const dst = page.getByRole('group', { name: 'Destination Database' }).getByRole('alert');
    await expect(src).toContainText('Wrong password', { timeout: 15_000 });
    await expect(dst).toContainText(`Connection refused by 127.0.0.1:${closed}`);
    await expect(page.getByRole('heading', { name: '1. Configure Source and Destination Databases' })).toBeVisible();
    await shot(page, info, 'failure-1-connection');

    // Fixing the password leaves only the destination failing.
    await page.getByRole('group', { name: 'Source Database' }).getByLabel('Database Password').fill('srcpw');
    await page.getByRole('button', { name: 'Test Connection And Proceed' }).click();
    await expect(page.getByRole('group', { name: 'Source Database' }).getByRole('status')).toContainText('Connected to', { timeout: 15_000 });
    await expect(dst).toContainText('Connection refused');
  });

  test('a destination that already holds keys fails the precheck under Precheck And Block until ignored', async ({ page }, info) => {
    test.setTimeout(120_000);
    await walkToPrecheck(page, info, { name: 'e2e-occupied-target', targetPort: occupied.port, dbs: [0], prefix: 'occupied' });
    await expect(page.getByText('Precheck failed')).toBeVisible({ timeout: 45_000 });
    const item = page.getByRole('listitem', { name: 'Destination Object Data Existence Check' });
    await expect(item).toContainText('Failed');
    await expect(item).toContainText('Precheck And Block');
    await expect(page.getByRole('button', { name: 'Next: Purchase Instance' })).toBeDisabled();
    await item.getByRole('button', { name: 'View Details' }).click();
    await expect(item.getByRole('region')).toContainText('"already:here"');
    await shot(page, info, 'occupied-5-precheck-failed');

    await item.getByRole('button', { name: 'Confirm Alert Details' }).click();
    const dialog = page.getByRole('alertdialog');
    await expect(dialog).toContainText('data inconsistency');
    await dialog.getByRole('button', { name: 'Ignore' }).click();
    await expect(item).toContainText('Ignored');
    await expect(page.getByRole('button', { name: 'Next: Purchase Instance' })).toBeEnabled();
  });
});
