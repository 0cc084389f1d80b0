/**
 * Test support: a PostgreSQL database of its own for one test file, on the machine's server
 * (DTS_TEST_POSTGRES_URL, default postgresql://postgres@127.0.0.1:5432/test, trust auth), dropped after.
 */
import pg from 'pg';

const ADMIN_URL = process.env.DTS_TEST_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';

async function admin(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: ADMIN_URL });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

export interface TestPostgresDatabase {
  url: string;
  drop(): Promise<void>;
}

export async function createTestPostgresDatabase(label: string): Promise<TestPostgresDatabase> {
  const name = `dts_${label}_${process.pid}_${Date.now()}`.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  await admin(`CREATE DATABASE "${name}"`);
  const u = new URL(ADMIN_URL);
  u.pathname = `/${name}`;
  return { url: u.toString(), drop: () => admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`) };
}
