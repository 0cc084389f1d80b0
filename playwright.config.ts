import crypto from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { defineConfig } from '@playwright/test';

/**
 * Browser tests drive the real console (production build, real SQLite database)
 * in Debian's Chromium; Playwright's own browser download cannot work here.
 */
const port = Number(process.env.E2E_PORT ?? 3199);
// A fresh database per run; workers inherit the name through the environment.
const E2E_DB = process.env.E2E_DATABASE_FILE ?? path.join(os.tmpdir(), `redis-dts-e2e-${process.pid}-${Date.now()}.db`);
process.env.E2E_DATABASE_FILE = E2E_DB;
// The console needs a session for everything: the admin account of the test server gets this password
// (e2e/auth.setup.ts signs in once and the other specs reuse its cookie).
process.env.E2E_ADMIN_PASSWORD ??= 'e2e-console-pw-7c1f';
process.env.E2E_BASE_URL = `http://127.0.0.1:${port}`;
export const ADMIN_STATE = path.join(os.tmpdir(), `redis-dts-e2e-admin-${path.basename(E2E_DB, '.db')}.json`);
process.env.E2E_ADMIN_STATE = ADMIN_STATE;

export default defineConfig({
  testDir: 'e2e',
  timeout: 60_000,
  fullyParallel: false,
  workers: 1,
  reporter: [['list']],
  outputDir: 'test-results',
  globalTeardown: './e2e/global-teardown.ts',
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
        '--disable-sync', '--no-first-run', '--disable-quic'],
    },
  },
  projects: [
    { name: 'setup', testMatch: /auth\.setup\.ts$/ },
    { name: 'console', testMatch: /\.spec\.ts$/, dependencies: ['setup'], use: { storageState: ADMIN_STATE } },
  ],
  webServer: {
    command: 'node scripts/start.mjs',
    url: `http://127.0.0.1:${port}/api/health`,
    timeout: 240_000,
    reuseExistingServer: false,
    stdout: 'pipe',
    env: { PORT: String(port), DATABASE_URL: `file:${E2E_DB}`, DTS_ADMIN_PASSWORD: process.env.E2E_ADMIN_PASSWORD,
      // Sealing key of the session cookie: per run, so no session.key file is left beside the temporary database.
      DTS_SESSION_SECRET: (process.env.E2E_SESSION_SECRET ??= crypto.randomBytes(32).toString('base64')) },
  },
});
