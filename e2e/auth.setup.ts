/** Signs in once as the test server's admin (DTS_ADMIN_PASSWORD) and saves the cookie for the other specs. */
import { expect, test as setup } from '@playwright/test';

setup('sign in as admin', async ({ page }) => {
  await page.goto('/sync-tasks');
  await expect(page).toHaveURL(/\/sign-in\?next=%2Fsync-tasks/);
  await page.getByLabel('Username').fill('admin');
  await page.getByLabel('Password').fill(process.env.E2E_ADMIN_PASSWORD!);
  await page.getByRole('button', { name: 'Sign In' }).click();
  await expect(page.getByRole('heading', { name: 'Data Synchronization Tasks', exact: true })).toBeVisible();
  await expect(page.getByTestId('signed-in-user')).toHaveText('admin');
  await page.context().storageState({ path: process.env.E2E_ADMIN_STATE! });
});
