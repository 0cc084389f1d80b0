/**
 * Data verification on the task details page, against real redis-server
 * processes: a task runs its full migration and the Full Data Verification that
 * follows finds no difference; differences planted on the destination by hand
 * show after Verify Now, counted per conflict type, per round and per DB with the
 * differing keys and values; Incremental Data Verification reports a key the
 * stream wrote that was changed on the destination; the history lists the runs.
 */
import { expect, test, type Page } from '@playwright/test';
import { createDb } from '../lib/db/client';
import { selfManagedEndpoint, shot, useServerPair } from './testing/journey';

const TASK_ID = 'dtse2everify01';
const TASK_NAME = 'verification-journey';

test.describe.configure({ mode: 'serial' });

const servers = useServerPair();

const endpoint = selfManagedEndpoint;

test('Verify Now finds differences planted on the destination, per DB', async ({ page }, info) => {
  test.setTimeout(240_000);
  const { source, target } = servers();
  const src = source.client();
  const dst = target.client();
  const prisma = createDb(process.env.E2E_DATABASE_FILE!);
  try {
    const p = src.pipeline();
    for (let i = 0; i < 200; i++) p.set(`user:${i}`, `value-${i}`);
    p.hset('profile', { name: 'ada', lang: 'en' });
    p.select(1);
    p.set('settings', 'on');
    p.select(0);
    await p.exec();
    await prisma.task.create({
      data: {
        id: TASK_ID, name: TASK_NAME, region: 'local', status: 'PrecheckPassed', instanceClass: 'unlimited',
        source: endpoint(source.port), target: endpoint(target.port),
        objects: JSON.stringify({ dbs: [{ db: 0, targetDb: 0 }, { db: 1, targetDb: 2 }] }),
        verification: JSON.stringify({
          full: { enabled: true, mode: 'full', rounds: 2, rateLimit: 100_000, bigKeyThreshold: 16_384 },
          incremental: { enabled: true },
        }),
        logs: { create: [{ level: 'info', message: 'task created' }] },
      },
    });

    await page.goto(`/sync-tasks/${TASK_ID}`);
    const panel = page.getByRole('region', { name: 'Data Verification' });
    await expect(panel).toContainText('No verification has run yet');
    await expect(panel.getByRole('button', { name: 'Verify Now' })).toBeDisabled();
    await expect(panel).toContainText('Start the task first');
    await page.getByRole('button', { name: 'Start', exact: true }).click();
    await expect(page.getByRole('status', { name: 'Status: Running' })).toBeVisible({ timeout: 90_000 });

    // The Full Data Verification after the full migration: one round, no differences, per DB.
    const full = panel.getByRole('region', { name: 'Full Data Verification' });
    await expect(full.getByRole('status', { name: 'Full Data Verification: No differences' })).toBeVisible({ timeout: 60_000 });
    await expect(full).toContainText('After the full migration');
    await expect(full).toContainText('Source and destination are equal: 202 keys checked.');
    await expect(full.getByRole('region', { name: 'Round 1: DB 0 → DB 0' })).toContainText('201 keys checked · no differences');
    await expect(full.getByRole('region', { name: 'Round 1: DB 1 → DB 2' })).toContainText('1 key checked · no differences');
    await expect(page.getByRole('region', { name: 'Task Log' })).toContainText('data verification round 1 (all keys): 202 keys checked, no differences');
    await shot(page, info, '01-verified-equal');

    // Differences planted by hand on the destination: a changed value, a missing key, an extra key, a TTL.
    await dst.set('user:7', 'tampered');
    await dst.del('user:8');
    await dst.set('stray', 'x');
    await dst.select(2);
    await dst.expire('settings', 3600);
    await dst.select(0);

    await panel.getByRole('button', { name: 'Verify Now' }).click();
    await expect(full).toContainText('Verify Now', { timeout: 10_000 });
    await expect(full.getByRole('status', { name: 'Full Data Verification: Differences found' })).toBeVisible({ timeout: 60_000 });
    await expect(full).toContainText('4 differences left after 2 rounds.');
    for (const [kind, n] of [['lack_target', 1], ['lack_source', 1], ['type', 0], ['value', 1], ['ttl', 1]] as const) {
      await expect(full.getByLabel(`${kind}: ${n}`, { exact: true })).toBeVisible();
    }
    await expect(full.getByRole('button', { name: 'Round 1' })).toBeVisible();
    await expect(full.getByRole('button', { name: 'Round 2' })).toHaveAttribute('aria-pressed', 'true');
    await expect(full).toContainText('Results per DB, round 2 (the verdict)');

    const db0 = full.getByRole('region', { name: 'Round 2: DB 0 → DB 0' });
    await expect(db0).toContainText('3 differences (lack_target 1, lack_source 1, value 1)');
    const rows = db0.getByRole('row');
    await expect(rows.filter({ hasText: 'user:7' })).toContainText('value');
    await expect(rows.filter({ hasText: 'user:7' })).toContainText('value-7');
    await expect(rows.filter({ hasText: 'user:7' })).toContainText('tampered');
    await expect(rows.filter({ hasText: 'user:8' })).toContainText('lack_target');
    await expect(rows.filter({ hasText: 'stray' })).toContainText('lack_source');
    const db1 = full.getByRole('region', { name: 'Round 2: DB 1 → DB 2' });
    await expect(db1.getByRole('row').filter({ hasText: 'settings' })).toContainText('ttl');
    await shot(page, info, '02-verify-now-differences');

    // Round 1 on request.
    await full.getByRole('button', { name: 'Round 1' }).click();
    await expect(full).toContainText('Results per DB, round 1');
    await expect(full.getByRole('region', { name: 'Round 1: DB 0 → DB 0' })).toContainText('202 keys checked · 3 differences');
    await expect(page.getByRole('region', { name: 'Task Log' })).toContainText(
      'data verification round 2 (recheck of the keys that differed): 4 keys checked, 4 differences (lack_target 1, lack_source 1, value 1, ttl 1)');

    // Incremental Data Verification: a key the stream wrote, changed on the destination before its check.
    await src.hset('cart:1', 'apples', '3');
    await expect.poll(() => dst.hget('cart:1', 'apples'), { timeout: 30_000 }).toBe('3');
    await dst.hset('cart:1', 'apples', '4');
    const incremental = panel.getByRole('region', { name: 'Incremental Data Verification' });
    const cart = incremental.getByRole('region', { name: 'Incremental: DB 0 → DB 0' }).getByRole('row').filter({ hasText: 'cart:1' });
    await expect(cart).toContainText('apples', { timeout: 30_000 });
    await expect(cart).toContainText('value');
    await expect(incremental.getByRole('status', { name: 'Incremental Data Verification: Running' })).toBeVisible();
    await shot(page, info, '03-incremental-difference');

    // The history: the runs, newest first; an older one can be shown again.
    const history = panel.getByRole('table', { name: 'Verification runs, newest first' });
    await expect(history.getByRole('row')).toHaveCount(4); // header + Verify Now + incremental + after the full migration
    const autoRow = history.getByRole('row').filter({ hasText: 'After the full migration' });
    await expect(autoRow).toContainText('No differences');
    await autoRow.getByRole('button', { name: /^Show the full run/ }).click();
    await expect(full.getByRole('status', { name: 'Full Data Verification: No differences' })).toBeVisible();
    await expect(full.getByRole('region', { name: 'Round 1: DB 0 → DB 0' })).toContainText('201 keys checked · no differences');
    await shot(page, info, '04-history');

    const stored = await prisma.verificationRun.findMany({ where: { taskId: TASK_ID }, include: { rounds: true }, orderBy: { startedAt: 'asc' } });
    expect(stored.filter((r) => r.kind === 'full').map((r) => [r.trigger, r.status, r.rounds.length])).toEqual([['auto', 'equal', 1], ['manual', 'different', 2]]);

    // End the task: the incremental run is finished with what it found.
    await page.getByRole('button', { name: 'End', exact: true }).click();
    await page.getByRole('dialog', { name: `End the task ${TASK_NAME}?` }).getByRole('button', { name: 'End Task' }).click();
    await expect(page.getByRole('status', { name: 'Status: Ended' })).toBeVisible({ timeout: 90_000 });
    await expect(incremental.getByRole('status', { name: 'Incremental Data Verification: Differences found' })).toBeVisible({ timeout: 30_000 });
    await expect(panel.getByRole('button', { name: 'Verify Now' })).toBeEnabled();
  } finally {
    src.disconnect();
    dst.disconnect();
    await prisma.$disconnect();
  }
});
