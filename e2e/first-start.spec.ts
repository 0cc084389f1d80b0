/**
 * First start without DTS_ADMIN_PASSWORD, on a console of its own (fresh
 * database): the generated admin password is printed once in the server log;
 * sign in with it, change it, create a viewer, sign out, sign in as the viewer
 * and see no Create Task, End or Release. A restart prints no password again.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { createDb } from '../lib/db/client';
import { freePort } from '../engine/testing/redis-server';
import { builtActions, callAction, signInCookie } from './testing/app-routes';
import { ROOT, startConsoleProcess, stopConsoleProcess, type ConsoleProcess } from './testing/console-server';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redis-dts-first-start-'));
const dbFile = path.join(dir, 'dts.db');
let port = 0;
let base = '';
let server: ConsoleProcess | undefined;

async function startConsole(): Promise<ConsoleProcess> {
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), DATABASE_URL: `file:${dbFile}`, DTS_SESSION_SECRET: crypto.randomBytes(32).toString('base64') };
  delete env.DTS_ADMIN_PASSWORD;
  delete env.DTS_ADMIN_RESET;
  return startConsoleProcess(base, [path.join(ROOT, 'node_modules', 'next', 'dist', 'bin', 'next'), 'start', '-p', String(port)], env);
}

test.describe.configure({ mode: 'serial' });
test.use({ storageState: { cookies: [], origins: [] } });

test.beforeAll(async () => {
  port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = await startConsole();
});

test.afterAll(async () => {
  await stopConsoleProcess(server);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('generated admin password: sign in, change it, create a viewer who sees no Create Task, End or Release', async ({ page }, info) => {
  test.setTimeout(120_000);
  const match = /generated password:\s*\n\s*\n\s+(\S+)\s*\n/.exec(server!.log());
  expect(match, `the log prints the password:\n${server!.log()}`).not.toBeNull();
  const generated = match![1];
  expect(server!.log().split(generated).length - 1, 'printed once').toBe(1);

  const prisma = createDb(dbFile);
  try {
    await prisma.task.create({
      data: { id: 'dtse2efirst001', name: 'first-running', region: 'local', status: 'Running',
        source: JSON.stringify({ host: '127.0.0.1', port: 1 }), target: JSON.stringify({ host: '127.0.0.1', port: 2 }) },
    });
  } finally {
    await prisma.$disconnect();
  }

  await page.goto(`${base}/sync-tasks`);
  await expect(page).toHaveURL(/\/sign-in/);
  await page.getByLabel('Username').fill('admin');
  await page.getByLabel('Password').fill(generated);
  await page.getByRole('button', { name: 'Sign In' }).click();
  // A generated password must be changed before anything else.
  await expect(page).toHaveURL(/\/account\?required=1/);
  await expect(page.getByText('Choose a new one before you continue')).toBeVisible();
  await page.goto(`${base}/sync-tasks`);
  await expect(page).toHaveURL(/\/account\?required=1/);
  await page.getByLabel(/^Current Password/).fill(generated);
  await page.getByLabel(/^New Password/).fill('short');
  await page.getByLabel(/^Confirm New Password/).fill('short');
  await page.getByRole('button', { name: 'Change Password' }).click();
  await expect(page.getByText('Use at least 10 characters.')).toBeVisible();
  await page.getByLabel(/^Current Password/).fill(generated);
  await page.getByLabel(/^New Password/).fill('console-chosen-pw-42');
  await page.getByLabel(/^Confirm New Password/).fill('console-chosen-pw-42');
  await page.getByRole('button', { name: 'Change Password' }).click();
  await expect(page.getByText('Password changed')).toBeVisible();
  await page.screenshot({ path: info.outputPath('password-changed.png'), fullPage: true });

  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Users' }).click();
  await expect(page.getByRole('heading', { name: 'Users', exact: true })).toBeVisible();
  await page.getByRole('button', { name: 'Add User' }).click();
  const form = page.getByRole('form', { name: 'Add user' });
  await form.getByLabel(/^Username/).fill('vera');
  await form.getByLabel(/^Role/).selectOption('viewer');
  await form.getByLabel('Initial Password').fill('viewer-pass-9931');
  await form.getByLabel('Ask for a new password at first sign-in').uncheck();
  await form.getByRole('button', { name: 'Create User' }).click();
  await expect(form.getByRole('status')).toContainText('User vera (Viewer) created.');
  await expect(page.getByRole('row', { name: 'vera' })).toContainText('Enabled');
  await page.screenshot({ path: info.outputPath('users.png'), fullPage: true });

  await page.getByRole('button', { name: 'Sign Out' }).click();
  await expect(page).toHaveURL(/\/sign-in\?signedOut=1/);

  await page.getByLabel('Username').fill('vera');
  await page.getByLabel('Password').fill('viewer-pass-9931');
  await page.getByRole('button', { name: 'Sign In' }).click();
  await expect(page.getByRole('heading', { name: 'Data Synchronization Tasks', exact: true })).toBeVisible();
  await expect(page.getByTestId('signed-in-user')).toHaveText('vera');
  await page.goto(`${base}/sync-tasks?region=local`);
  const row = page.getByRole('row', { name: /first-running/ });
  await expect(row).toContainText('Running');
  await expect(row.getByRole('link', { name: 'View Details' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Create Task' })).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'End' })).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Release' })).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Pause' })).toHaveCount(0);
  await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Users' })).toHaveCount(0);
  await page.screenshot({ path: info.outputPath('viewer-list.png'), fullPage: true });

  await row.getByRole('link', { name: 'View Details' }).click();
  await expect(page.getByRole('heading', { name: 'first-running' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'End' })).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Release' })).toHaveCount(0);
  await page.screenshot({ path: info.outputPath('viewer-details.png'), fullPage: true });

  // The viewer calls End directly, bypassing the UI: refused, the task still runs.
  const cookie = await signInCookie(base, 'vera', 'viewer-pass-9931');
  const perform = builtActions().find((a) => a.name === 'performTaskAction')!;
  const res = await callAction(base, perform, '/sync-tasks', ['dtse2efirst001', 'end'], cookie);
  expect(res.status).toBe(200);
  expect(res.text).toContain('Your role (Viewer) cannot change tasks or instances.');
  const check = createDb(dbFile);
  try {
    expect((await check.task.findUniqueOrThrow({ where: { id: 'dtse2efirst001' } })).status).toBe('Running');
  } finally {
    await check.$disconnect();
  }
});

test('a restart with the account in place prints no password', async () => {
  await stopConsoleProcess(server);
  server = await startConsole();
  expect(server.log()).not.toContain('generated password');
  expect(server.log()).toContain('Ready');
});
