/** databaseUnreachable against real PostgreSQL errors: a dropped connection is one, a refused write is not. */
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createDb } from './client';
import { databaseUnreachable } from './errors';
import { createTestPostgresDatabase } from './testing/postgres-database';
import { migrateDatabase } from './client';

const database = await createTestPostgresDatabase('db-errors');
await migrateDatabase({ provider: 'postgresql', url: database.url });
const prisma = createDb({ provider: 'postgresql', url: `${database.url}${database.url.includes('?') ? '&' : '?'}application_name=dts-errors-test` });

afterAll(async () => {
  await prisma.$disconnect();
  await database.drop();
});

describe('databaseUnreachable', () => {
  it('is true for a query on a connection PostgreSQL terminated, false for a refused write', async () => {
    // A query running when its connection is terminated (a restart, a fail-over).
    const running = prisma.$queryRawUnsafe('SELECT pg_sleep(5)').then(() => undefined, (err: unknown) => err);
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    try {
      for (let i = 0; i < 50; i++) {
        const r = await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'dts-errors-test' AND query LIKE 'SELECT pg_sleep%'");
        if (r.rowCount) break;
        await new Promise((done) => setTimeout(done, 50));
      }
    } finally {
      await admin.end();
    }
    const dropped = await running;
    expect(dropped).toBeDefined();
    expect(databaseUnreachable(dropped), String(dropped)).toBe(true);
    const refused = await prisma.$executeRawUnsafe('INSERT INTO no_such_table VALUES (1)').then(() => undefined, (err: unknown) => err);
    expect(refused).toBeDefined();
    expect(databaseUnreachable(refused)).toBe(false);
    expect(databaseUnreachable(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }))).toBe(true);
  });
});
