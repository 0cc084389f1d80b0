import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '@/lib/generated/prisma/client';
import { PrismaClient as PostgresPrismaClient } from '@/lib/generated/prisma-postgresql/client';
import { applyMigrations, applyPostgresMigrations } from './migrate';
import { databaseConfig, type DatabaseConfig } from './url';

export type { PrismaClient };

const globalForDb = globalThis as unknown as { dtsPrisma?: PrismaClient; dtsPrismaReady?: Map<string, Promise<void>> };

/**
 * Opens the console's database. SQLite (a file path or config) is migrated here, once per call; PostgreSQL
 * is migrated by migrateDatabase, which start-up awaits before anything queries.
 * Both clients are generated from the one schema (scripts/prisma-generate.mjs), so they have the same models
 * and the PostgreSQL one is used through the SQLite one's type.
 */
export function createDb(target: string | DatabaseConfig = databaseConfig()): PrismaClient {
  const config: DatabaseConfig = typeof target === 'string' ? { provider: 'sqlite', file: target } : target;
  if (config.provider === 'postgresql') {
    return new PostgresPrismaClient({ adapter: new PrismaPg({ connectionString: config.url }) }) as unknown as PrismaClient;
  }
  applyMigrations(config.file);
  return new PrismaClient({ adapter: new PrismaBetterSqlite3({ url: `file:${config.file}` }) });
}

/** Applies pending migrations of the configured database (PostgreSQL's are asynchronous; SQLite's ran in createDb). */
export function migrateDatabase(config: DatabaseConfig = databaseConfig()): Promise<void> {
  if (config.provider === 'sqlite') return Promise.resolve();
  // Once per database per process (a test may open several).
  const ready = (globalForDb.dtsPrismaReady ??= new Map());
  let done = ready.get(config.url);
  if (!done) {
    done = applyPostgresMigrations(config.url).then(() => undefined);
    ready.set(config.url, done);
  }
  return done;
}

/** The process-wide client; kept on globalThis so dev reloads do not open a new one each time. */
export function db(): PrismaClient {
  globalForDb.dtsPrisma ??= createDb();
  return globalForDb.dtsPrisma;
}
