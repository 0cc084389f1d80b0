/** Console start-up, auth part: the settings read, the first admin account, and hourly removal of ended sessions. */
import { db } from '@/lib/db/client';
import { trustedProxyHops } from './address';
import { ensureAdmin } from './bootstrap';
import { secureCookie } from './config';
import { pruneSessions } from './sessions';

export async function bootAuth(): Promise<void> {
  try {
    // A mistyped DTS_TRUSTED_PROXY_HOPS / DTS_HTTPS stops the start with the reason, not every request later.
    trustedProxyHops();
    secureCookie();
    await ensureAdmin(db());
  } catch (err) {
    // A console nobody can sign in to is of no use: stop with the reason instead of failing every request.
    console.error(`redis-dts: cannot set up sign-in: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
  await pruneSessions(db());
  setInterval(() => {
    pruneSessions(db()).catch((err) => console.error('auth: pruning ended sessions failed:', err));
  }, 3_600_000).unref();
}
