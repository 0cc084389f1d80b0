/**
 * The TLS journeys' shared steps: a plain source and a destination that speaks only TLS,
 * step 1 filled up to Encryption, steps 2–4 to the precheck, and from Purchase And Start
 * to a task that carries a source write over TLS and is ended.
 */
import { expect, test, type Locator, type Page, type TestInfo } from '@playwright/test';
import { tlsServerConfig, type TlsFiles } from '../../engine/testing/tls-certificates';
import { freePort, RedisServer } from '../../engine/testing/redis-server';
import { shot } from './journey';

export interface TlsPair {
  source: RedisServer;
  target: RedisServer;
  tlsPort: number;
}

/** Starts the pair for the file's tests (stopped after them); the source holds one key for the full migration. */
export function useTlsPair(files: () => TlsFiles, opts: { authClients?: boolean } = {}): () => TlsPair {
  let pair: TlsPair | undefined;
  test.beforeAll(async () => {
    const tlsPort = await freePort();
    const [source, target] = await Promise.all([
      RedisServer.start({ config: { 'repl-diskless-sync-delay': 0 } }),
      // The harness watches the plain port start; the console is only given the TLS one.
      RedisServer.start({ config: tlsServerConfig(files(), tlsPort, opts) }),
    ]);
    const s = source.client();
    await s.set('before:start', 'copied by the full migration');
    s.disconnect();
    pair = { source, target, tlsPort };
  });
  test.afterAll(async () => {
    await Promise.all([pair?.source.stop(), pair?.target.stop()]);
  });
  return () => {
    if (!pair) throw new Error('the TLS servers are not started');
    return pair;
  };
}

/** Step 1 with the source on its plain port and the destination on its TLS port, Encryption SSL. */
export async function fillTlsEndpoints(page: Page, name: string, pair: TlsPair): Promise<{ src: Locator; dst: Locator; next: Locator }> {
  await page.goto('/sync-tasks/new?region=local');
  await page.getByLabel('Task Name').fill(name);
  const src = page.getByRole('group', { name: 'Source Database' });
  await src.getByLabel('Host').fill('127.0.0.1');
  await src.getByLabel('Port').fill(String(pair.source.port));
  const dst = page.getByRole('group', { name: 'Destination Database' });
  await dst.getByLabel('Host').fill('127.0.0.1');
  await dst.getByLabel('Port').fill(String(pair.tlsPort));
  await dst.getByLabel('Encryption').selectOption({ label: 'SSL' });
  return { src, dst, next: page.getByRole('button', { name: 'Test Connection And Proceed' }) };
}

/** From step 2 (DB 0) to a precheck that passed; returns the destination connectivity item, its details open. */
export async function precheckDb0(page: Page): Promise<Locator> {
  await expect(page.getByRole('heading', { name: '2. Configure Objects' })).toBeVisible({ timeout: 15_000 });
  await page.getByRole('listbox', { name: 'Source Objects' }).getByRole('option', { name: /^DB 0 / }).click();
  await page.getByRole('button', { name: 'Move to Selected Objects' }).click();
  await page.getByRole('button', { name: 'Next: Advanced Configurations' }).click();
  await page.getByRole('button', { name: 'Next: Data Verification' }).click();
  await page.getByRole('button', { name: 'Next: Save Task Settings and Precheck' }).click();
  await expect(page.getByText('Precheck passed')).toBeVisible({ timeout: 45_000 });
  const connectivity = page.getByRole('listitem', { name: 'Destination database connectivity' });
  await connectivity.getByRole('button', { name: 'View Details' }).click();
  return connectivity;
}

/**
 * Purchase And Start from the task's edit URL, then: the snapshot's key arrives, the task runs,
 * `whileRunning` checks what it must, a source write arrives, and the task is ended.
 */
export async function purchaseRunAndEnd(page: Page, info: TestInfo, opts: {
  editPath: string; name: string; pair: TlsPair; shotName: string; configuration: RegExp; whileRunning?: () => Promise<void>;
}): Promise<void> {
  await page.goto(`${opts.editPath}?region=local&step=purchase`);
  await page.getByLabel(/Terms of Service/).check();
  await page.getByRole('button', { name: 'Purchase And Start' }).click();
  await expect(page).toHaveURL(/\/sync-tasks\/dts[a-z0-9]+\?region=local/, { timeout: 20_000 });
  await expect(page.getByRole('region', { name: 'Configuration' })).toContainText(opts.configuration);
  // The test reads the destination on its plain port.
  const d = opts.pair.target.client();
  const s = opts.pair.source.client();
  try {
    await expect.poll(() => d.get('before:start'), { timeout: 60_000 }).toBe('copied by the full migration');
    await expect(page.getByRole('status', { name: 'Status: Running' })).toBeVisible({ timeout: 60_000 });
    await opts.whileRunning?.();
    await s.set('while:running', 'over TLS');
    await expect.poll(() => d.get('while:running'), { timeout: 30_000 }).toBe('over TLS');
    await shot(page, info, opts.shotName);
    await page.getByRole('button', { name: 'End', exact: true }).click();
    await page.getByRole('dialog', { name: `End the task ${opts.name}?` }).getByRole('button', { name: 'End Task' }).click();
    await expect(page.getByRole('status', { name: 'Status: Ended' })).toBeVisible({ timeout: 60_000 });
  } finally {
    d.disconnect();
    s.disconnect();
  }
}
