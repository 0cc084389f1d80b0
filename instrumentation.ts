/**
 * Runs once when a console server process starts (Node runtime only): opens the
 * database, which applies pending migrations, so a broken database fails the
 * start rather than the first page view.
 */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== 'nodejs') return;
  const { db } = await import('./lib/db/client');
  await db().$connect();
}
