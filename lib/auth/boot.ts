/** Console start-up, auth part: the first admin account, and hourly removal of ended sessions. */
import { db } from '@/lib/db/client';
import { ensureAdmin } from './bootstrap';
import { pruneSessions } from './sessions';

export async function bootAuth(): Promise<void> {
  await ensureAdmin(db());
  await pruneSessions(db());
  setInterval(() => {
    pruneSessions(db()).catch((err) => console.error('auth: pruning ended sessions failed:', err));
  }, 3_600_000).unref();
}
