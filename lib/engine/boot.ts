/**
 * Console process start-up (Node runtime): open the database, which applies
 * pending migrations, so a broken database fails the start rather than the first
 * page view; finish prechecks that a previous process left running (their run
 * died with it); then start the engine manager, which resumes the tasks that were
 * running from their checkpoints. On SIGINT/SIGTERM each engine writes what it
 * has read and saves its checkpoint before the process exits.
 */
import { db, migrateDatabase } from '@/lib/db/client';
import { recoverPrechecks } from '@/lib/tasks/precheck';
import { engineManager } from './manager';

export async function boot(): Promise<void> {
  await migrateDatabase();
  await db().$connect();
  await recoverPrechecks();
  const manager = engineManager();
  await manager.recover();
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      void manager.shutdown().finally(() => process.exit(0));
    });
  }
}
