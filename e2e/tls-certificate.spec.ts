/**
 * A destination that speaks only TLS with a self-signed certificate, through the
 * whole wizard: Test Connection refuses the certificate and says to paste its CA,
 * the pasted CA makes it pass, the precheck verifies it the same way, the edit page
 * says a CA is set without showing it, and the running task (which gets the same
 * CA) carries a source write to the destination.
 */
import { expect, test } from '@playwright/test';
import { makeTlsFiles, tlsServerConfig, type TlsFiles } from '../engine/precheck/testing/tls';
import { freePort, RedisServer } from '../engine/testing/redis-server';
import { shot } from './helpers/journey';

let files: TlsFiles;
let source: RedisServer;
let target: RedisServer;
let tlsPort: number;

test.beforeAll(async () => {
  files = makeTlsFiles();
  tlsPort = await freePort();
  [source, target] = await Promise.all([
    RedisServer.start({ config: { 'repl-diskless-sync-delay': 0 } }),
    // The harness watches the plain port start; the console is only given the TLS one.
    RedisServer.start({ config: tlsServerConfig(files, tlsPort) }),
  ]);
  const s = source.client();
  await s.set('before:start', 'copied by the full migration');
  s.disconnect();
});

test.afterAll(async () => {
  await Promise.all([source?.stop(), target?.stop()]);
  files?.cleanup();
});

test('a self-signed TLS destination: refused until its CA is pasted, then prechecked and synchronized', async ({ page }, info) => {
  test.setTimeout(150_000);
  await page.goto('/sync-tasks/new?region=local');
  await page.getByLabel('Task Name').fill('e2e-tls-ca');
  const src = page.getByRole('group', { name: 'Source Database' });
  await src.getByLabel('Host').fill('127.0.0.1');
  await src.getByLabel('Port').fill(String(source.port));
  const dst = page.getByRole('group', { name: 'Destination Database' });
  await dst.getByLabel('Host').fill('127.0.0.1');
  await dst.getByLabel('Port').fill(String(tlsPort));
  await dst.getByLabel('Encryption').selectOption({ label: 'SSL' });
  await expect(dst.getByLabel('Skip certificate verification (insecure)')).not.toBeChecked();
  const next = page.getByRole('button', { name: 'Test Connection And Proceed' });

  // No CA: the system's trusted CAs do not know a self-signed certificate.
  await next.click();
  const alert = dst.getByRole('alert');
  await expect(alert).toContainText(`The TLS certificate of 127.0.0.1:${tlsPort} is not trusted (self-signed certificate).`, { timeout: 15_000 });
  await expect(alert).toContainText('Paste its CA certificate in CA Certificate');
  await expect(src.getByRole('status')).toContainText('Connected to');
  await shot(page, info, 'tls-1-untrusted');

  // Text that is not a certificate is refused on the field, before any connection.
  const ca = dst.getByLabel('CA Certificate');
  await ca.fill('not a certificate');
  await next.click();
  await expect(dst.getByText('CA Certificate: this is not a PEM certificate')).toBeVisible({ timeout: 15_000 });

  await ca.fill(files.pem);
  await next.click();
  await expect(page.getByRole('heading', { name: '2. Configure Objects' })).toBeVisible({ timeout: 15_000 });
  await page.getByRole('listbox', { name: 'Source Objects' }).getByRole('option', { name: /^DB 0 / }).click();
  await page.getByRole('button', { name: 'Move to Selected Objects' }).click();
  await page.getByRole('button', { name: 'Next: Advanced Configurations' }).click();
  await page.getByRole('button', { name: 'Next: Data Verification' }).click();
  await page.getByRole('button', { name: 'Next: Save Task Settings and Precheck' }).click();

  await expect(page.getByText('Precheck passed')).toBeVisible({ timeout: 45_000 });
  const connectivity = page.getByRole('listitem', { name: 'Destination database connectivity' });
  await connectivity.getByRole('button', { name: 'View Details' }).click();
  await expect(connectivity.getByRole('region')).toContainText('Encryption: SSL, certificate verified with the CA certificate given.');
  await shot(page, info, 'tls-2-precheck');

  // Edit Task Settings says a CA is set and keeps the PEM on the server.
  const editUrl = new URL(page.url());
  await page.goto(`${editUrl.pathname}?region=local`);
  const edited = page.getByRole('group', { name: 'Destination Database' });
  await expect(edited.getByText(/^CA certificate set: localhost \(valid until \d{4}-\d\d-\d\d\)$/)).toBeVisible();
  await expect(edited.getByLabel('CA Certificate')).toHaveValue('');
  await expect(page.locator('body')).not.toContainText('BEGIN CERTIFICATE');
  await shot(page, info, 'tls-3-edit');

  await page.goto(`${editUrl.pathname}?region=local&step=purchase`);
  await page.getByLabel(/Terms of Service/).check();
  await page.getByRole('button', { name: 'Purchase And Start' }).click();
  await expect(page).toHaveURL(/\/sync-tasks\/dts[a-z0-9]+\?region=local/, { timeout: 20_000 });
  await expect(page.getByRole('region', { name: 'Configuration' })).toContainText(/SSL, CA Certificate set: localhost \(valid until/);

  // The task writes over TLS with the same CA: the snapshot's key, then a write made while it runs.
  const d = target.client();
  const s = source.client();
  try {
    await expect.poll(() => d.get('before:start'), { timeout: 60_000 }).toBe('copied by the full migration');
    await expect(page.getByRole('status', { name: 'Status: Running' })).toBeVisible({ timeout: 60_000 });
    await s.set('while:running', 'over TLS');
    await expect.poll(() => d.get('while:running'), { timeout: 30_000 }).toBe('over TLS');
    await shot(page, info, 'tls-4-running');

    await page.getByRole('button', { name: 'End', exact: true }).click();
    await page.getByRole('dialog', { name: 'End the task e2e-tls-ca?' }).getByRole('button', { name: 'End Task' }).click();
    await expect(page.getByRole('status', { name: 'Status: Ended' })).toBeVisible({ timeout: 60_000 });
  } finally {
    d.disconnect();
    s.disconnect();
  }
});
