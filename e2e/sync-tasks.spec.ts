import { expect, test } from '@playwright/test';
import { createDb } from '../lib/db/client';

test.describe('Data Synchronization Tasks page', () => {
  test('shows the empty state, then tasks from the database, with filters and region', async ({ page }, info) => {
    await page.goto('/');
    await expect(page).toHaveURL(/\/sync-tasks/);
    await expect(page.getByRole('heading', { name: 'Data Synchronization Tasks', exact: true })).toBeVisible();
    await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Sync Tasks' }))
      .toHaveAttribute('aria-current', 'page');
    await expect(page.getByText('No data synchronization tasks yet')).toBeVisible();
    await expect(page.getByRole('link', { name: 'Create Task' })).toBeVisible();
    await page.screenshot({ path: info.outputPath('empty.png'), fullPage: true });

    const prisma = createDb(process.env.E2E_DATABASE_FILE!);
    try {
      await prisma.task.create({
        data: { id: 'dtse2e0001', name: 'upgrade-cache', region: 'local', status: 'Running', fullProgress: 100,
          delayMs: 250, source: JSON.stringify({ host: '10.0.0.1', port: 6379 }),
          target: JSON.stringify({ host: '10.0.0.2', port: 6380 }) },
      });
      await prisma.task.create({
        data: { id: 'dtse2e0002', name: 'dr-copy', region: 'local', status: 'Paused', fullProgress: 40,
          source: JSON.stringify({ host: '10.0.0.3', port: 6379 }), target: JSON.stringify({ host: '10.0.0.4', port: 6379 }) },
      });
      await prisma.task.create({
        data: { id: 'dtse2e0003', name: 'released-one', region: 'local', status: 'Released',
          source: JSON.stringify({ host: 'a', port: 1 }), target: JSON.stringify({ host: 'b', port: 2 }) },
      });
      await prisma.task.create({
        data: { id: 'dtse2e0004', name: 'elsewhere', region: 'cn-hangzhou', status: 'NotStarted',
          source: JSON.stringify({ host: 'c', port: 1 }), target: JSON.stringify({ host: 'd', port: 2 }) },
      });
    } finally {
      await prisma.$disconnect();
    }

    await page.reload();
    const rows = page.getByRole('region', { name: 'Tasks' }).getByRole('row');
    await expect(rows).toHaveCount(3); // header + two visible tasks; Released is hidden
    await expect(page.getByRole('row', { name: /upgrade-cache/ })).toContainText('Running');
    await expect(page.getByRole('row', { name: /upgrade-cache/ })).toContainText('10.0.0.1:6379 → 10.0.0.2:6380');
    await expect(page.getByRole('row', { name: /dr-copy/ })).toContainText('Paused');
    await page.screenshot({ path: info.outputPath('tasks.png'), fullPage: true });

    await page.getByRole('combobox', { name: 'Status' }).selectOption('Paused');
    await expect(page.getByRole('row', { name: /upgrade-cache/ })).toHaveCount(0);
    await expect(page.getByRole('row', { name: /dr-copy/ })).toBeVisible();
    await page.getByRole('combobox', { name: 'Status' }).selectOption('');

    await page.getByRole('searchbox', { name: 'Search tasks by name or ID' }).fill('upgrade');
    await page.keyboard.press('Enter');
    await expect(page.getByRole('row', { name: /dr-copy/ })).toHaveCount(0);
    await expect(page.getByRole('row', { name: /upgrade-cache/ })).toBeVisible();

    await page.getByRole('combobox', { name: 'Region' }).selectOption('cn-hangzhou');
    await expect(page).toHaveURL(/region=cn-hangzhou/);
    await page.getByRole('searchbox', { name: 'Search tasks by name or ID' }).fill('');
    await page.keyboard.press('Enter');
    await expect(page.getByRole('row', { name: /elsewhere/ })).toBeVisible();
    await expect(page.getByRole('row', { name: /upgrade-cache/ })).toHaveCount(0);

    await page.getByRole('link', { name: 'Instances' }).click();
    await expect(page.getByRole('heading', { name: 'Instances', exact: true })).toBeVisible();
    await expect(page).toHaveURL(/\/instances\?region=cn-hangzhou/);
  });
});
