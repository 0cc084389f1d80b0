/**
 * A destination with Redis's default `tls-auth-clients yes`, through the whole wizard:
 * Test Connection says it requires a client certificate, the certificate and key fields
 * refuse half a pair and a key of another certificate, the pasted pair passes Test
 * Connection and the precheck, the edit page names the certificate without showing the
 * key, and the running task and its Full Data Verification (presenting the same
 * certificate) carry a source write to the destination and find no differences.
 */
import { expect, test } from '@playwright/test';
import { makeClientCertificate, makeTlsFiles, tlsServerConfig, type ClientCertificate, type TlsFiles } from '../engine/precheck/testing/tls';
import { freePort, RedisServer } from '../engine/testing/redis-server';
import { shot } from './helpers/journey';

let files: TlsFiles;
let client: ClientCertificate;
let stranger: ClientCertificate;
let source: RedisServer;
let target: RedisServer;
let tlsPort: number;

test.beforeAll(async () => {
  files = makeTlsFiles();
  client = makeClientCertificate(files);
  stranger = makeClientCertificate(files, 'someone-else');
  tlsPort = await freePort();
  [source, target] = await Promise.all([
    RedisServer.start({ config: { 'repl-diskless-sync-delay': 0 } }),
    // The harness watches the plain port start; the console is only given the TLS one.
    RedisServer.start({ config: tlsServerConfig(files, tlsPort, { authClients: true }) }),
  ]);
  const s = source.client();
  await s.set('before:start', 'copied by the full migration');
  s.disconnect();
});

test.afterAll(async () => {
  await Promise.all([source?.stop(), target?.stop()]);
  files?.cleanup();
});

test('a destination that requires client certificates: refused until a matching certificate and key are pasted, then prechecked and synchronized', async ({ page }, info) => {
  test.setTimeout(150_000);
  await page.goto('/sync-tasks/new?region=local');
  await page.getByLabel('Task Name').fill('e2e-tls-client-cert');
  const src = page.getByRole('group', { name: 'Source Database' });
  await src.getByLabel('Host').fill('127.0.0.1');
  await src.getByLabel('Port').fill(String(source.port));
  const dst = page.getByRole('group', { name: 'Destination Database' });
  await dst.getByLabel('Host').fill('127.0.0.1');
  await dst.getByLabel('Port').fill(String(tlsPort));
  await dst.getByLabel('Encryption').selectOption({ label: 'SSL' });
  await dst.getByLabel('CA Certificate').fill(files.pem);
  const next = page.getByRole('button', { name: 'Test Connection And Proceed' });

  // No client certificate: the server's refusal in its own words, not a certificate or TLS mismatch.
  await next.click();
  const alert = dst.getByRole('alert');
  await expect(alert).toContainText(`127.0.0.1:${tlsPort} requires a client certificate (tls-auth-clients).`, { timeout: 15_000 });
  await expect(alert).toContainText('Add Client Certificate and Client Private Key');
  await shot(page, info, 'mtls-1-required');

  // Half a pair, and a key of another certificate, are refused on the fields before any connection.
  const cert = dst.getByLabel('Client Certificate');
  const key = dst.getByLabel('Client Private Key');
  await cert.fill(client.cert);
  await next.click();
  await expect(dst.getByText('Client Private Key: paste the private key of the Client Certificate (both or neither).')).toBeVisible({ timeout: 15_000 });
  await key.fill(stranger.key);
  await next.click();
  await expect(dst.getByText('Client Private Key: this key does not belong to the Client Certificate')).toBeVisible({ timeout: 15_000 });
  await shot(page, info, 'mtls-2-mismatch');

  await key.fill(client.key);
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
  await expect(connectivity.getByRole('region')).toContainText('Encryption: SSL, certificate verified with the CA certificate given, client certificate presented.');
  await shot(page, info, 'mtls-3-precheck');

  // Edit Task Settings names the certificate set; neither PEM comes back to the browser.
  const editUrl = new URL(page.url());
  await page.goto(`${editUrl.pathname}?region=local`);
  const edited = page.getByRole('group', { name: 'Destination Database' });
  await expect(edited.getByText(/^Client certificate set: dts-client, valid until \d{4}-\d\d-\d\d$/)).toBeVisible();
  await expect(edited.getByRole('button', { name: 'Remove client certificate' })).toBeVisible();
  await expect(edited.getByLabel('Client Private Key')).toHaveValue('');
  await expect(page.locator('body')).not.toContainText('PRIVATE KEY-----');
  expect(await page.content()).not.toContain(client.key.split('\n')[1]);
  await shot(page, info, 'mtls-4-edit');

  await page.goto(`${editUrl.pathname}?region=local&step=purchase`);
  await page.getByLabel(/Terms of Service/).check();
  await page.getByRole('button', { name: 'Purchase And Start' }).click();
  await expect(page).toHaveURL(/\/sync-tasks\/dts[a-z0-9]+\?region=local/, { timeout: 20_000 });
  await expect(page.getByRole('region', { name: 'Configuration' })).toContainText(/client certificate: dts-client, valid until/);

  // The task presents the same certificate (the test reads the destination on its plain port): the snapshot's key, then a write made while it runs.
  const d = target.client();
  const s = source.client();
  try {
    await expect.poll(() => d.get('before:start'), { timeout: 60_000 }).toBe('copied by the full migration');
    await expect(page.getByRole('status', { name: 'Status: Running' })).toBeVisible({ timeout: 60_000 });
    // The Full Data Verification after the full migration reads the destination with the same certificate.
    const verification = page.getByRole('region', { name: 'Full Data Verification' });
    await expect(verification.getByRole('status', { name: 'Full Data Verification: No differences' })).toBeVisible({ timeout: 60_000 });
    await s.set('while:running', 'over mutual TLS');
    await expect.poll(() => d.get('while:running'), { timeout: 30_000 }).toBe('over mutual TLS');
    await shot(page, info, 'mtls-5-running');

    await page.getByRole('button', { name: 'End', exact: true }).click();
    await page.getByRole('dialog', { name: 'End the task e2e-tls-client-cert?' }).getByRole('button', { name: 'End Task' }).click();
    await expect(page.getByRole('status', { name: 'Status: Ended' })).toBeVisible({ timeout: 60_000 });
  } finally {
    d.disconnect();
    s.disconnect();
  }
});
