/**
 * A destination with Redis's default `tls-auth-clients yes`, through the whole wizard:
 * Test Connection says it requires a client certificate, the certificate and key fields
 * refuse half a pair and a key of another certificate, the pasted pair passes Test
 * Connection and the precheck, the edit page names the certificate without showing the
 * key, and the running task and its Full Data Verification (presenting the same
 * certificate) carry a source write to the destination and find no differences.
 */
import { expect, test } from '@playwright/test';
import { makeClientCertificate, makeTlsFiles, type ClientCertificate, type TlsFiles } from '../engine/testing/tls-certificates';
import { shot } from './testing/journey';
import { fillTlsEndpoints, precheckDb0, purchaseRunAndEnd, useTlsPair } from './testing/tls-journey';

let files: TlsFiles;
let client: ClientCertificate;
let stranger: ClientCertificate;
test.beforeAll(() => {
  files = makeTlsFiles();
  client = makeClientCertificate(files);
  stranger = makeClientCertificate(files, 'someone-else');
});
test.afterAll(() => files?.cleanup());
const pair = useTlsPair(() => files, { authClients: true });

test('a destination that requires client certificates: refused until a matching certificate and key are pasted, then prechecked and synchronized', async ({ page }, info) => {
  test.setTimeout(150_000);
  const { dst, next } = await fillTlsEndpoints(page, 'e2e-tls-client-cert', pair());
  await dst.getByLabel('CA Certificate').fill(files.pem);

  // No client certificate: the server's refusal in its own words, not a certificate or TLS mismatch.
  await next.click();
  const alert = dst.getByRole('alert');
  await expect(alert).toContainText(`127.0.0.1:${pair().tlsPort} requires a client certificate (tls-auth-clients).`, { timeout: 15_000 });
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
  const connectivity = await precheckDb0(page);
  await expect(connectivity.getByRole('region')).toContainText('Encryption: SSL, certificate verified with the CA certificate given, client certificate presented.');
  await shot(page, info, 'mtls-3-precheck');

  // Edit Task Settings names the certificate set; neither PEM comes back to the browser.
  const editPath = new URL(page.url()).pathname;
  await page.goto(`${editPath}?region=local`);
  const edited = page.getByRole('group', { name: 'Destination Database' });
  await expect(edited.getByText(/^Client certificate set: dts-client, valid until \d{4}-\d\d-\d\d$/)).toBeVisible();
  await expect(edited.getByRole('button', { name: 'Remove client certificate' })).toBeVisible();
  await expect(edited.getByLabel('Client Private Key')).toHaveValue('');
  await expect(page.locator('body')).not.toContainText('PRIVATE KEY-----');
  expect(await page.content()).not.toContain(client.key.split('\n')[1]);
  await shot(page, info, 'mtls-4-edit');

  // The task presents the same certificate; so does its Full Data Verification after the full migration.
  await purchaseRunAndEnd(page, info, {
    editPath, name: 'e2e-tls-client-cert', pair: pair(), shotName: 'mtls-5-running', configuration: /client certificate: dts-client, valid until/,
    whileRunning: async () => {
      const verification = page.getByRole('region', { name: 'Full Data Verification' });
      await expect(verification.getByRole('status', { name: 'Full Data Verification: No differences' })).toBeVisible({ timeout: 60_000 });
    },
  });
});
