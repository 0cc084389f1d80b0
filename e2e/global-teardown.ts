import fs from 'node:fs';

/** Remove the run's database and the saved admin session once the server has stopped. */
export default function globalTeardown(): void {
  if (process.env.E2E_ADMIN_STATE) fs.rmSync(process.env.E2E_ADMIN_STATE, { force: true });
  const file = process.env.E2E_DATABASE_FILE;
  if (!file) return;
  for (const suffix of ['', '-wal', '-shm']) fs.rmSync(`${file}${suffix}`, { force: true });
}
