/**
 * Replication relay in the console (docs/relay.md), against real redis-server processes: the
 * wizard's advanced step offers the write method, the precheck adds its Replication relay item,
 * the started task makes the destination a read-only replica of the source through the engine
 * (the configuration says so), writes arrive, End makes the destination a master again, equal. With
 * a cluster destination the wizard does not offer it, saying why (a cluster node refuses REPLICAOF).
 */
import { expect, test, type Page } from '@playwright/test';
import { compareKeyByKey } from '../engine/testing/compare';
import { infoReplication } from '../engine/testing/redis-info';
import { RedisCluster, RedisServer } from '../engine/testing/redis-server';
import { shot } from './testing/journey';

let source: RedisServer;
let target: RedisServer;

/** Wizard steps 1 and 2: each side a self-managed database on 127.0.0.1 (with its instance mode when given), then DB 0 selected. */
async function endpointsAndDb0(page: Page, sides: (readonly [string, number, string?])[]): Promise<void> {
  for (const [legend, port, mode] of sides) {
    const side = page.getByRole('group', { name: legend });
    await side.getByLabel('Access Method').selectOption({ label: 'Self-managed Database' });
    if (mode) await side.getByLabel('Instance Mode').selectOption({ label: mode });
    await side.getByLabel('Host').fill('127.0.0.1');
    await side.getByLabel('Port').fill(String(port));
  }
  await page.getByRole('button', { name: 'Test Connection And Proceed' }).click();
  await expect(page.getByRole('heading', { name: '2. Configure Objects' })).toBeVisible({ timeout: 15_000 });
  await page.getByRole('listbox', { name: 'Source Objects' }).getByRole('option', { name: /^DB 0 / }).click();
  await page.getByRole('button', { name: 'Move to Selected Objects' }).click();
  await page.getByRole('button', { name: 'Next: Advanced Configurations' }).click();
}

test.beforeAll(async () => {
  [source, target] = await Promise.all([RedisServer.start({ config: { 'repl-diskless-sync-delay': 0 } }), RedisServer.start()]);
  const s = source.client();
  const p = s.pipeline();
  for (let i = 0; i < 500; i++) p.set(`relayed:${i}`, `v${i}`);
  p.hset('relayed:hash', 'a', '1');
  await p.exec();
  s.disconnect();
});

test.afterAll(async () => {
  await Promise.all([source?.stop(), target?.stop()]);
});

test('the wizard offers Replication relay; the task relays, says the destination is a read-only replica, and End detaches it', async ({ page }, info) => {
  test.setTimeout(180_000);
  const name = 'e2e-relay-journey';
  await page.goto('/sync-tasks/new?region=local');
  await page.getByLabel('Task Name').fill(name);
  await endpointsAndDb0(page, [['Source Database', source.port], ['Destination Database', target.port]]);

  await expect(page.getByRole('heading', { name: '3. Advanced Settings' })).toBeVisible();
  const method = page.getByRole('group', { name: 'Write Method' });
  await expect(method.getByRole('radio', { name: /^Commands/ })).toBeChecked();
  await method.getByRole('radio', { name: /^Replication relay/ }).check();
  await shot(page, info, 'relay-3-advanced');
  await page.getByRole('button', { name: 'Next: Data Verification' }).click();
  await page.getByRole('button', { name: 'Next: Save Task Settings and Precheck' }).click();

  await expect(page.getByRole('heading', { name: '5. Precheck' })).toBeVisible({ timeout: 15_000 });
  await expect(page.getByText('Precheck passed')).toBeVisible({ timeout: 45_000 });
  const items = page.getByRole('list', { name: 'Precheck items' }).getByRole('listitem');
  await expect(items).toHaveCount(12);
  await expect(items.filter({ hasText: 'Replication relay' })).toContainText(/can replicate the source through the engine/);
  await shot(page, info, 'relay-5-precheck');
  await page.getByRole('button', { name: 'Next: Purchase Instance' }).click();
  await page.getByLabel(/Terms of Service/).check();
  await page.getByRole('button', { name: 'Purchase And Start' }).click();

  await expect(page).toHaveURL(/\/sync-tasks\/dts[a-z0-9]+\?region=local/, { timeout: 20_000 });
  await expect(page.getByRole('region', { name: 'Configuration' })).toContainText('Replication relay: the destination is a read-only replica');
  const s = source.client();
  const d = target.client();
  try {
    await expect.poll(async () => (await infoReplication(d)).master_link_status, { timeout: 60_000 }).toBe('up');
    await expect(page.getByRole('status', { name: 'Status: Running' })).toBeVisible({ timeout: 60_000 });
    await s.set('while:running', 'relayed');
    await expect.poll(() => d.get('while:running'), { timeout: 30_000 }).toBe('relayed');
    await expect(page.getByRole('region', { name: 'Task Log' })).toContainText('replicates the source');
    await shot(page, info, 'relay-7-running');

    await page.getByRole('button', { name: 'End', exact: true }).click();
    await page.getByRole('dialog', { name: `End the task ${name}?` }).getByRole('button', { name: 'End Task' }).click();
    await expect(page.getByRole('status', { name: 'Status: Ended' })).toBeVisible({ timeout: 60_000 });
    expect((await infoReplication(d)).role).toBe('master');
    expect(await compareKeyByKey(s, d)).toEqual([]);

    await page.getByRole('group', { name: `Actions of ${name}` }).getByRole('button', { name: 'Release' }).click();
    await page.getByRole('button', { name: 'Release Task' }).click();
    await expect(page).toHaveURL(/\/sync-tasks(\?|$)/);
    expect((await infoReplication(d)).role).toBe('master');
  } finally {
    s.disconnect();
    d.disconnect();
  }
});

test('a cluster destination: the wizard does not offer Replication relay, and says why', async ({ page }, info) => {
  test.setTimeout(120_000);
  const cluster = await RedisCluster.start(3);
  try {
    await page.goto('/sync-tasks/new?region=local');
    await page.getByLabel('Task Name').fill('e2e-relay-cluster');
    await endpointsAndDb0(page, [['Source Database', source.port, 'Standalone'], ['Destination Database', cluster.nodes[0]!.port, 'Cluster']]);

    await expect(page.getByRole('heading', { name: '3. Advanced Settings' })).toBeVisible();
    const method = page.getByRole('group', { name: 'Write Method' });
    await expect(method.getByRole('radio', { name: /^Commands/ })).toBeChecked();
    await expect(method.getByRole('radio', { name: /^Replication relay/ })).toBeDisabled();
    await expect(method).toContainText('REPLICAOF not allowed in cluster mode');
    await shot(page, info, 'relay-cluster-3-advanced');
  } finally {
    await cluster.stop();
  }
});
