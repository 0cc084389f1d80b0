/**
 * Runs once when a console server process starts (Node runtime only): opens the
 * database (applying pending migrations, so a broken database fails the start
 * rather than the first page view), then starts the engine manager, which
 * resumes the tasks that were running from their checkpoints.
 */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== 'nodejs') return;
  const { db } = await import('./lib/db/client');
  await db().$connect();
  const { engineManager } = await import('./lib/engine/manager');
  const manager = engineManager();
  await manager.recover();
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      void manager.shutdown().finally(() => process.exit(0));
    });
  }
}
