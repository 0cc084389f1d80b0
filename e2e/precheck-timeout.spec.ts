/**
 * Wizard step 5 never waits forever: when the request that starts the precheck
 * fails, the step says so and Precheck Again works (it used to stay at "Starting
 * the precheck…" with every button disabled); against a destination that accepts
 * the connection and never answers, the precheck finishes Failed, naming it.
 */
import { expect, test } from '@playwright/test';
import { createDb } from '../lib/db/client';
import { startSilentServer, type SilentServer } from '../engine/testing/silent-server';
import { RedisServer } from '../engine/testing/redis-server';
import { selfManagedEndpoint, shot } from './testing/journey';

const TASK_ID = 'dtse2esilent01';

let source: RedisServer;
let silent: SilentServer;

test.beforeAll(async () => {
  [source, silent] = await Promise.all([RedisServer.start(), startSilentServer()]);
});

test.afterAll(async () => {
  await Promise.all([source?.stop(), silent?.close()]);
});

test('a failed start and a silent destination: the precheck step ends, saying what did not answer', async ({ page }, info) => {
  test.setTimeout(120_000);
  const prisma = createDb(process.env.E2E_DATABASE_FILE!);
  try {
    await prisma.task.create({
      data: {
        id: TASK_ID, name: 'silent-destination', region: 'local', status: 'NotStarted',
        source: selfManagedEndpoint(source.port), target: selfManagedEndpoint(silent.port),
        objects: JSON.stringify({ dbs: [{ db: 0, targetDb: 0 }], keyPrefixes: { include: [], exclude: [] } }),
      },
    });
    // The first server action (the precheck's start) never reaches the console.
    let refused = 0;
    await page.route('**/*', (route) => {
      const req = route.request();
      if (req.method() === 'POST' && req.headers()['next-action'] && refused === 0) {
        refused++;
        return route.abort('connectionreset');
      }
      return route.continue();
    });

    await page.goto(`/sync-tasks/${TASK_ID}/edit?region=local&step=precheck`);
    await expect(page.getByText(/The precheck could not be started: .*Click Precheck Again\./)).toBeVisible({ timeout: 30_000 });
    expect(refused).toBe(1);
    const again = page.getByRole('button', { name: 'Precheck Again' });
    await expect(again).toBeEnabled();
    await expect(page.getByText('No precheck has run for these settings yet: click Precheck Again.')).toBeVisible();
    await shot(page, info, '01-start-failed');

    await again.click();
    const destination = page.getByRole('listitem', { name: 'Destination database connectivity' });
    await expect(destination).toContainText('Failed', { timeout: 45_000 });
    await expect(destination).toContainText(`127.0.0.1:${silent.port}`);
    await expect(destination).toContainText(/did not|no Redis reply/);
    await expect(page.getByRole('status').filter({ hasText: 'Precheck failed' })).toBeVisible({ timeout: 45_000 });
    await expect(page.getByRole('listitem', { name: 'Source database connectivity' })).toContainText('Passed');
    await expect(again).toBeEnabled();
    await shot(page, info, '02-silent-destination-failed');
  } finally {
    // The task list's specs expect a list without it.
    await prisma.task.delete({ where: { id: TASK_ID } }).catch(() => undefined);
    await prisma.$disconnect();
  }
});
