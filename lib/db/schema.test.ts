/**
 * Proves the migrations and prisma/schema.prisma agree, for each provider (SQLite's prisma/migrations and
 * PostgreSQL's prisma/migrations-postgresql, on the machine's real PostgreSQL): every model's table and
 * columns exist with matching types and nullability, and every model can be written and read through the
 * generated client on a freshly migrated database.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type PrismaClient } from './client';
import { createTestPostgresDatabase } from './testing/postgres-database';
import { applyMigrations, applyPostgresMigrations, defaultMigrationsDir, MigrationError, readMigrations } from './migrate';

const SQL_TYPE: Record<string, string> = {
  String: 'TEXT', Int: 'INTEGER', BigInt: 'BIGINT', Float: 'REAL', Boolean: 'BOOLEAN', DateTime: 'DATETIME',
};
/** information_schema.columns.data_type of each Prisma scalar as Prisma maps it for PostgreSQL. */
const PG_TYPE: Record<string, string> = {
  String: 'text', Int: 'integer', BigInt: 'bigint', Float: 'double precision', Boolean: 'boolean', DateTime: 'timestamp without time zone',
};
const MODELS = ['ApiIdempotencyKey', 'ApiToken', 'AuditLog', 'Instance', 'Session', 'Task', 'TaskLog', 'TaskMetric', 'TaskShard', 'User', 'VerificationRound', 'VerificationRun'];

interface Field { name: string; type: string; optional: boolean }

function schemaModels(): Map<string, Field[]> {
  const text = fs.readFileSync(path.resolve('prisma', 'schema.prisma'), 'utf8');
  const models = new Map<string, Field[]>();
  for (const m of text.matchAll(/^model (\w+) \{([\s\S]*?)^\}/gm)) {
    const fields: Field[] = [];
    for (const line of m[2].split('\n')) {
      const f = /^\s+(\w+)\s+(\w+)(\?|\[\])?/.exec(line);
      if (!f || line.trim().startsWith('@@') || line.trim().startsWith('///')) continue;
      if (f[3] === '[]' || !(f[2] in SQL_TYPE)) continue; // relation fields have no column
      fields.push({ name: f[1], type: f[2], optional: f[3] === '?' });
    }
    models.set(m[1], fields);
  }
  return models;
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dts-schema-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('database migrations', () => {
  it('create every model of schema.prisma with matching columns', () => {
    const file = path.join(dir, 'columns.db');
    expect(applyMigrations(file)).toEqual(readMigrations().map((m) => m.name));
    const sqlite = new Database(file, { readonly: true });
    const models = schemaModels();
    expect([...models.keys()].sort()).toEqual(MODELS);
    for (const [model, fields] of models) {
      const columns = sqlite.prepare(`PRAGMA table_info("${model}")`).all() as
        { name: string; type: string; notnull: number }[];
      expect(columns.map((c) => c.name).sort(), model).toEqual(fields.map((f) => f.name).sort());
      for (const f of fields) {
        const col = columns.find((c) => c.name === f.name)!;
        expect(col.type, `${model}.${f.name}`).toBe(SQL_TYPE[f.type]);
        expect(col.notnull === 0, `${model}.${f.name} nullability`).toBe(f.optional);
      }
    }
    sqlite.close();
  });

  it('are recorded in _prisma_migrations and applied only once', () => {
    const file = path.join(dir, 'twice.db');
    applyMigrations(file);
    expect(applyMigrations(file)).toEqual([]);
    const sqlite = new Database(file, { readonly: true });
    const rows = sqlite.prepare('SELECT migration_name, checksum, finished_at FROM _prisma_migrations').all() as
      { migration_name: string; checksum: string; finished_at: number }[];
    sqlite.close();
    expect(rows.map((r) => [r.migration_name, r.checksum])).toEqual(readMigrations().map((m) => [m.name, m.checksum]));
    expect(rows.every((r) => r.finished_at > 0)).toBe(true);
  });

  it('refuse a migration edited after it was applied', () => {
    const migrations = path.join(dir, 'migrations');
    fs.cpSync(path.resolve('prisma', 'migrations'), migrations, { recursive: true });
    const file = path.join(dir, 'edited.db');
    applyMigrations(file, migrations);
    const first = readMigrations(migrations)[0];
    fs.appendFileSync(path.join(migrations, first.name, 'migration.sql'), '\n-- edited\n');
    expect(() => applyMigrations(file, migrations)).toThrow(MigrationError);
  });

  it('let the generated client write and read every model', async () => {
    const prisma = createDb(path.join(dir, 'client.db'));
    try {
      await writeAndReadEveryModel(prisma);
    } finally {
      await prisma.$disconnect();
    }
  });
});

// PostgreSQL: a database of its own per run on the machine's server.
let pgUrl = '';
let dropPg: (() => Promise<void>) | undefined;

describe('PostgreSQL migrations', () => {
  beforeAll(async () => {
    const database = await createTestPostgresDatabase('schema');
    pgUrl = database.url;
    dropPg = database.drop;
  });
  afterAll(async () => { await dropPg?.(); });

  it('create every model of schema.prisma with matching columns, once', async () => {
    const names = readMigrations(defaultMigrationsDir('postgresql')).map((m) => m.name);
    expect(names.length).toBeGreaterThan(0);
    expect(await applyPostgresMigrations(pgUrl)).toEqual(names);
    expect(await applyPostgresMigrations(pgUrl)).toEqual([]);
    const c = new pg.Client({ connectionString: pgUrl });
    await c.connect();
    try {
      const models = schemaModels();
      const tables = await c.query<{ table_name: string }>(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> '_prisma_migrations'");
      expect(tables.rows.map((r) => r.table_name).sort()).toEqual(MODELS);
      for (const [model, fields] of models) {
        const { rows } = await c.query<{ column_name: string; data_type: string; is_nullable: string }>(
          "SELECT column_name, data_type, is_nullable FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1", [model]);
        expect(rows.map((r) => r.column_name).sort(), model).toEqual(fields.map((f) => f.name).sort());
        for (const f of fields) {
          const col = rows.find((r) => r.column_name === f.name)!;
          expect(col.data_type, `${model}.${f.name}`).toBe(PG_TYPE[f.type]);
          expect(col.is_nullable === 'YES', `${model}.${f.name} nullability`).toBe(f.optional);
        }
      }
      const sums = await c.query<{ migration_name: string; checksum: string }>('SELECT migration_name, checksum FROM _prisma_migrations ORDER BY migration_name');
      expect(sums.rows.map((r) => [r.migration_name, r.checksum])).toEqual(readMigrations(defaultMigrationsDir('postgresql')).map((m) => [m.name, m.checksum]));
    } finally {
      await c.end();
    }
  });

  it('refuse a migration edited after it was applied', async () => {
    const migrations = path.join(dir, 'migrations-postgresql');
    fs.cpSync(defaultMigrationsDir('postgresql'), migrations, { recursive: true });
    await applyPostgresMigrations(pgUrl, migrations);
    const first = readMigrations(migrations)[0];
    fs.appendFileSync(path.join(migrations, first.name, 'migration.sql'), '\n-- edited\n');
    await expect(applyPostgresMigrations(pgUrl, migrations)).rejects.toThrow(MigrationError);
  });

  it('let the generated client write and read every model', async () => {
    await applyPostgresMigrations(pgUrl);
    const prisma = createDb({ provider: 'postgresql', url: pgUrl });
    try {
      await writeAndReadEveryModel(prisma);
    } finally {
      await prisma.$disconnect();
    }
  });
});

async function writeAndReadEveryModel(prisma: PrismaClient): Promise<void> {
  const instance = await prisma.instance.create({
    data: { instanceId: 'r-test1', name: 'primary', region: 'cn-hangzhou', databaseType: 'Tair', mode: 'cluster',
      host: '127.0.0.1', port: 7000, username: 'admin', passwordEnc: 'x', tls: true },
  });
  expect((await prisma.instance.findUniqueOrThrow({ where: { instanceId: 'r-test1' } })).port).toBe(7000);
  await prisma.instance.update({ where: { id: instance.id }, data: { port: 7001 } });

  const task = await prisma.task.create({
    data: {
      id: 'dtstest1', name: 'move', region: 'cn-hangzhou', source: '{"host":"a"}', target: '{"host":"b"}',
      fullProgress: 42.5, keysDone: 2n ** 40n, keysTotal: 2n ** 41n, bytesDone: 2n ** 50n, delayMs: 12,
      errorMessage: 'none', startedAt: new Date(), endedAt: new Date(), releasedAt: new Date(), cutover: '{"at":"x"}',
      shards: { create: [{ name: '127.0.0.1:6379', stage: 'incremental', replid: 'a'.repeat(40), offset: 2n ** 62n }] },
      logs: { create: [{ level: 'info', message: 'created' }] },
      metrics: { create: [{ at: new Date(), stage: 'incremental', fullPercent: 100, keysDone: 2n ** 40n, keysTotal: 2n ** 40n,
        rdbBytesDone: 2n ** 50n, rps: 1234.5, bytesPerSecond: 65536, delayMs: 7, receivedOffset: 2n ** 53n - 1n }] },
    },
  });
  const read = await prisma.task.findUniqueOrThrow({ where: { id: task.id }, include: { shards: true, logs: true, metrics: true } });
  expect(read.status).toBe('NotStarted');
  expect(read.bytesDone).toBe(2n ** 50n);
  expect(read.shards[0].offset).toBe(2n ** 62n);
  expect(read.logs[0].message).toBe('created');
  expect(read.metrics[0]).toMatchObject({ rps: 1234.5, receivedOffset: 2n ** 53n - 1n, checkpointOffset: null });
  await prisma.task.delete({ where: { id: task.id } });
  expect(await prisma.taskLog.count()).toBe(0);
  expect(await prisma.taskMetric.count()).toBe(0);
  expect(await prisma.taskShard.count()).toBe(0);
  await prisma.instance.delete({ where: { id: instance.id } });

  const user = await prisma.user.create({
    data: { username: 'ops', role: 'operator', passwordHash: '$argon2id$x', mustChangePassword: true,
      sessions: { create: [{ id: 'f'.repeat(64), address: '127.0.0.1', userAgent: 'test' }] },
      apiTokens: { create: [{ tokenHash: 'e'.repeat(64), prefix: 'dts_abcdef', name: 'ci', role: 'viewer', expiresAt: new Date(Date.now() + 60_000) }] } },
    include: { sessions: true, apiTokens: true },
  });
  expect(user.apiTokens[0]).toMatchObject({ name: 'ci', revokedAt: null, lastUsedAt: null });
  await prisma.apiIdempotencyKey.create({ data: { userId: user.id, key: 'k1', route: 'POST /tasks', requestHash: 'h' } });
  await expect(prisma.apiIdempotencyKey.create({ data: { userId: user.id, key: 'k1', route: 'POST /tasks', requestHash: 'h' } })).rejects.toThrow();
  expect(user.disabled).toBe(false);
  expect(user.sessions[0].lastSeenAt).toBeInstanceOf(Date);
  await prisma.auditLog.create({
    data: { userId: user.id, username: 'ops', action: 'task.start', targetType: 'task', targetId: 'dtstest1', targetName: 'move' },
  });
  await prisma.user.delete({ where: { id: user.id } });
  expect(await prisma.session.count()).toBe(0);
  expect(await prisma.apiToken.count()).toBe(0);
  // The audit trail outlives the account.
  expect((await prisma.auditLog.findFirstOrThrow()).username).toBe('ops');
}
