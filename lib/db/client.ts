import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaClient } from '@/lib/generated/prisma/client';
import { applyMigrations } from './migrate';
import { databaseFile } from './url';

export type { PrismaClient };

const globalForDb = globalThis as unknown as { dtsPrisma?: PrismaClient };

/** Opens (and migrates, once per process) the console's database. */
export function createDb(file = databaseFile()): PrismaClient {
  applyMigrations(file);
  return new PrismaClient({ adapter: new PrismaBetterSqlite3({ url: `file:${file}` }) });
}

/** The process-wide client; kept on globalThis so dev reloads do not open a new one each time. */
export function db(): PrismaClient {
  globalForDb.dtsPrisma ??= createDb();
  return globalForDb.dtsPrisma;
}
