/**
 * The task list's search finds "Orders" from "orders" on both providers (PostgreSQL's LIKE is case-sensitive
 * unless told otherwise), through real databases migrated as the console migrates them.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createDb, migrateDatabase } from './client';
import { containsText } from './text-filter';
import { createTestPostgresDatabase, type TestPostgresDatabase } from './testing/postgres-database';
import type { DatabaseConfig } from './url';

let pgDb: TestPostgresDatabase | undefined;
afterAll(async () => {
  await pgDb?.drop();
});

async function config(provider: DatabaseConfig['provider']): Promise<DatabaseConfig> {
  if (provider === 'sqlite') {
    return { provider, file: path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'dts-text-filter-')), 'dts.db') };
  }
  pgDb = await createTestPostgresDatabase('text_filter');
  return { provider, url: pgDb.url };
}

describe.each(['sqlite', 'postgresql'] as const)('containsText (%s)', (provider) => {
  it('matches whatever the case of the search', async () => {
    const c = await config(provider);
    await migrateDatabase(c);
    const client = createDb(c);
    try {
      await client.user.create({ data: { username: 'Orders-Admin', passwordHash: 'x' } });
      await client.user.create({ data: { username: 'billing', passwordHash: 'x' } });
      const found = await client.user.findMany({ where: { username: containsText('orders', c) } });
      expect(found.map((u) => u.username)).toEqual(['Orders-Admin']);
      const upper = await client.user.findMany({ where: { username: containsText('BILL', c) } });
      expect(upper.map((u) => u.username)).toEqual(['billing']);
    } finally {
      await client.$disconnect();
    }
  });
});
