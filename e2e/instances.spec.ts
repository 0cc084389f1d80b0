/**
 * Instances: register one (password stored encrypted, never shown), edit it,
 * pick it in the wizard as a Cloud Instance (its stored credentials connect), delete it.
 */
import { expect, test } from '@playwright/test';
import { RedisServer } from '../engine/testing/redis-server';

let server: RedisServer;

test.beforeAll(async () => {
  server = await RedisServer.start({ password: 'inst-pw' });
});

test.afterAll(async () => {
  await server?.stop();
});

test('register, edit, use in the wizard and delete an instance', async ({ page }, info) => {
  await page.goto('/instances?region=cn-shanghai');
  await expect(page.getByText('No instances registered in this region')).toBeVisible();
  await page.getByRole('button', { name: 'Register Instance' }).click();
  const form = page.getByRole('form', { name: 'Register instance' });
  await form.getByLabel('Instance ID').fill('r-e2einst01');
  await form.getByLabel('Name').fill('cache primary');
  await form.getByLabel('Host').fill('redis://127.0.0.1');
  await form.getByLabel('Port').fill(String(server.port));
  await form.getByLabel('Database Password').fill('inst-pw');
  await form.getByRole('button', { name: 'Register' }).click();
  await expect(form.getByText('A host name or IP address, without scheme or port.')).toBeVisible();
  await form.getByLabel('Host').fill('127.0.0.1');
  await form.getByLabel('Database Password').fill('inst-pw');
  await form.getByRole('button', { name: 'Register' }).click();
  await expect(page.getByRole('status')).toContainText('Instance r-e2einst01 registered.');
  const row = page.getByRole('row', { name: /r-e2einst01/ });
  await expect(row).toContainText(`127.0.0.1:${server.port}`);
  await expect(row).toContainText('••••••');
  await expect(page.locator('body')).not.toContainText('inst-pw');
  await page.screenshot({ path: info.outputPath('instances.png'), fullPage: true });

  await row.getByRole('button', { name: 'Edit r-e2einst01' }).click();
  const edit = page.getByRole('form', { name: 'Edit instance r-e2einst01' });
  await expect(edit.getByLabel('Database Password')).toHaveValue('');
  await edit.getByLabel('Name').fill('cache primary (edited)');
  await edit.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('row', { name: /r-e2einst01/ })).toContainText('cache primary (edited)');

  // The wizard picks it by Instance ID; the stored password is used without being shown.
  await page.goto('/sync-tasks/new?region=cn-shanghai');
  const src = page.getByRole('group', { name: 'Source Database' });
  await src.getByLabel('Select DMS Database Instance').selectOption('r-e2einst01');
  await expect(src.getByLabel('Access Method')).toHaveValue('cloud');
  await expect(src.getByLabel('Instance ID')).toHaveValue('r-e2einst01');
  await expect(src.getByLabel('Database Password')).toHaveAttribute('placeholder', /Stored with the instance/);
  const dst = page.getByRole('group', { name: 'Destination Database' });
  await dst.getByLabel('Access Method').selectOption('cloud');
  await dst.getByLabel('Instance Region').selectOption('cn-shanghai');
  await dst.getByLabel('Instance ID').selectOption('r-e2einst01');
  await page.getByRole('button', { name: 'Test Connection And Proceed' }).click();
  await expect(page.getByRole('heading', { name: '2. Configure Objects' })).toBeVisible({ timeout: 15_000 });

  await page.goto('/instances?region=cn-shanghai');
  page.once('dialog', (d) => void d.accept());
  await page.getByRole('button', { name: 'Delete r-e2einst01' }).click();
  await expect(page.getByText('No instances registered in this region')).toBeVisible();
});
