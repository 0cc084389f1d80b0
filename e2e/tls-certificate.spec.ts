/**
 * A destination that speaks only TLS with a self-signed certificate, through the
 * whole wizard: Test Connection refuses the certificate and says to paste its CA,
 * the pasted CA makes it pass, the precheck verifies it the same way, the edit page
 * says a CA is set without showing it, and the running task (which gets the same
 * CA) carries a source write to the destination.
 */
import { expect, test } from '@playwright/test';
import { makeTlsFiles, type TlsFiles } from '../engine/testing/tls-certificates';
import { shot } from './testing/journey';
import { fillTlsEndpoints, precheckDb0, purchaseRunAndEnd, useTlsPair } from './testing/tls-journey';

let files: TlsFiles;
test.beforeAll(() => {
  files = makeTlsFiles();
});
test.afterAll(() => files?.cleanup());
const pair = useTlsPair(() => files);

test('a self-signed TLS destination: refused until its CA is pasted, then prechecked and synchronized', async ({ page }, info) => {
  test.setTimeout(150_000);
  const { src, dst, next } = await fillTlsEndpoints(page, 'e2e-tls-ca', pair());
  await expect(dst.getByLabel('Skip certificate verification (insecure)')).not.toBeChecked();

  // No CA: the system's trusted CAs do not know a self-signed certificate.
  await next.click();
  const alert = dst.getByRole('alert');
  await expect(alert).toContainText(`The TLS certificate of 127.0.0.1:${pair().tlsPort} is not trusted (self-signed certificate).`, { timeout: 15_000 });
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
  const connectivity = await precheckDb0(page);
  await expect(connectivity.getByRole('region')).toContainText('Encryption: SSL, certificate verified with the CA certificate given.');
  await shot(page, info, 'tls-2-precheck');

  // Edit Task Settings says a CA is set and keeps the PEM on the server.
  const editPath = new URL(page.url()).pathname;
  await page.goto(`${editPath}?region=local`);
  const edited = page.getByRole('group', { name: 'Destination Database' });
  await expect(edited.getByText(/^CA certificate set: localhost \(valid until \d{4}-\d\d-\d\d\)$/)).toBeVisible();
  await expect(edited.getByLabel('CA Certificate')).toHaveValue('');
  await expect(page.locator('body')).not.toContainText('BEGIN CERTIFICATE');
  await shot(page, info, 'tls-3-edit');

  // The task writes over TLS with the same CA.
  await purchaseRunAndEnd(page, info, {
    editPath, name: 'e2e-tls-ca', pair: pair(), shotName: 'tls-4-running', configuration: /SSL, CA Certificate set: localhost \(valid until/,
  });
});
