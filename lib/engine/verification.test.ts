/**
 * Data verification through the engine manager, against real redis-server
 * processes and a real SQLite database: a task's full migration is followed by a
 * Full Data Verification (its own process) stored round by round with no
 * difference; differences planted on the destination show in a Verify Now run,
 * per DB with their keys; Incremental Data Verification reports a key the stream
 * wrote that still differs; the console's task log has a line per round.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { RedisServer } from '@/engine/testing/redis-server';

// Server actions check the signed-in user: run them as an operator (lib/auth/testing/operator-guard.ts).
vi.mock('@/lib/auth/guard', () => import('@/lib/auth/testing/operator-guard'));

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dts-verification-'));
process.env.DATABASE_URL = `file:${path.join(dir, 'dts.db')}`;
process.env.DTS_SECRET_KEY = Buffer.alloc(32, 5).toString('base64');

const { db } = await import('@/lib/db/client');
const { EngineManager } = await import('./manager');
const { VerificationError } = await import('./verification');
const { readVerificationOverview, readVerificationRun } = await import('@/lib/tasks/verification');

async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false | null>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const endpoint = (port: number) => JSON.stringify({ host: '127.0.0.1', port, authMethod: 'password-free' });

async function logs(taskId: string): Promise<string[]> {
  return (await db().taskLog.findMany({ where: { taskId }, orderBy: { id: 'asc' } })).map((l) => l.message);
}

async function finishedRun(taskId: string, kind: string, notId?: string) {
  return waitFor(`a finished ${kind} verification run`, () => db().verificationRun.findFirst({
    where: { taskId, kind, status: { not: 'running' }, ...(notId ? { id: { not: notId } } : {}) },
    orderBy: { startedAt: 'desc' },
  }));
}

describe('data verification in the console', () => {
  let source: RedisServer;
  let target: RedisServer;
  let manager: InstanceType<typeof EngineManager>;

  beforeAll(async () => {
    [source, target] = await Promise.all([
      RedisServer.start({ config: { 'repl-diskless-sync-delay': 0 } }),
      RedisServer.start(),
    ]);
    manager = new EngineManager({ verifyIntervalMs: 300 });
  });
  afterAll(async () => {
    await manager?.shutdown();
    await Promise.all([source?.stop(), target?.stop()]);
    await db().$disconnect();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('verifies after the full migration (stored per round, zero differences), then finds planted differences on Verify Now', async () => {
    const src = source.client();
    const dst = target.client();
    try {
      const p = src.pipeline();
      for (let i = 0; i < 300; i++) p.set(`k:${i}`, `v${i}`);
      p.hset('h', { a: '1', b: '2' });
      p.select(1);
      p.set('one', '1');
      p.select(0);
      await p.exec();
      await db().task.create({
        data: {
          id: 'dtsver1', name: 'verify', region: 'local', status: 'PrecheckPassed', instanceClass: 'unlimited',
          source: endpoint(source.port), target: endpoint(target.port),
          objects: JSON.stringify({ dbs: [{ db: 0, targetDb: 0 }, { db: 1, targetDb: 2 }] }),
          verification: JSON.stringify({ full: { enabled: true, mode: 'full', rounds: 2, rateLimit: 100_000, bigKeyThreshold: 16_384 } }),
        },
      });
      await manager.perform('dtsver1', 'start');

      // After the full migration: an automatic run, one round, equal.
      const auto = await finishedRun('dtsver1', 'full');
      expect(auto).toMatchObject({ trigger: 'auto', status: 'equal', conflicts: 0n, keysChecked: 302n, errorMessage: null });
      const autoRounds = await db().verificationRound.findMany({ where: { runId: auto.id } });
      expect(autoRounds).toHaveLength(1);
      expect(autoRounds[0]).toMatchObject({ round: 1, scope: 'all', keysChecked: 302n, conflicts: 0n });
      expect(JSON.parse(autoRounds[0].dbs).map((d: { db: number; targetDb: number; keysChecked: number }) => [d.db, d.targetDb, d.keysChecked]))
        .toEqual([[0, 0, 301], [1, 2, 1]]);
      expect(await logs('dtsver1')).toEqual(expect.arrayContaining([
        expect.stringMatching(/^full data verification started \(after the full migration\): mode full, up to 2 rounds/),
        'data verification round 1 (all keys): 302 keys checked, no differences',
        expect.stringMatching(/^full data verification: source and destination are equal \(302 keys, 1 round/),
      ]));

      await manager.verification.settled('dtsver1');
      // Differences planted on the destination stay there (the source does not write those keys again).
      await dst.set('k:1', 'tampered');
      await dst.del('k:2');
      await dst.set('only-on-destination', 'x');
      await dst.select(2);
      await dst.expire('one', 3600);
      await dst.select(0);

      const runId = await manager.verifyNow('dtsver1');
      await expect(manager.verifyNow('dtsver1')).rejects.toThrow(VerificationError);
      const overview = await readVerificationOverview('dtsver1', 'Running', manager);
      expect(overview.verifyNowBlocked).toMatch(/already running/);
      expect(overview.runs[0]).toMatchObject({ id: runId, status: 'running', trigger: 'manual' });

      await manager.verification.settled('dtsver1');
      const run = await readVerificationRun('dtsver1', runId);
      expect(run).toMatchObject({ status: 'different', conflicts: 4, rounds: 2, counts: { lack_target: 1, lack_source: 1, type: 0, value: 1, ttl: 1 } });
      expect(run!.roundResults.map((r) => [r.round, r.scope, r.conflicts])).toEqual([[1, 'all', 4], [2, 'recheck', 4]]);
      const [db0, db1] = run!.roundResults[1].dbs;
      expect(db0).toMatchObject({ db: 0, targetDb: 0, conflicts: 3, counts: { lack_target: 1, lack_source: 1, value: 1 } });
      expect(db0.sample.map((c) => [c.key, c.kind]).sort()).toEqual([['k:1', 'value'], ['k:2', 'lack_target'], ['only-on-destination', 'lack_source']]);
      expect(db0.sample.find((c) => c.key === 'k:1')).toMatchObject({ source: 'v1', target: 'tampered', keyType: 'string' });
      expect(db1).toMatchObject({ db: 1, targetDb: 2, conflicts: 1, counts: { ttl: 1 } });
      expect(db1.sample).toEqual([expect.objectContaining({ key: 'one', kind: 'ttl' })]);

      const messages = await logs('dtsver1');
      expect(messages).toEqual(expect.arrayContaining([
        expect.stringMatching(/^full data verification started \(Verify Now\)/),
        'data verification round 1 (all keys): 303 keys checked, 4 differences (lack_target 1, lack_source 1, value 1, ttl 1)',
        'data verification round 2 (recheck of the keys that differed): 4 keys checked, 4 differences (lack_target 1, lack_source 1, value 1, ttl 1)',
        expect.stringMatching(/^full data verification: 4 differences remain \(lack_target 1, lack_source 1, value 1, ttl 1\) after 2 rounds/),
      ]));
      const after = await readVerificationOverview('dtsver1', 'Running', manager);
      expect(after.verifyNowBlocked).toBeNull();
      expect(after.runs.map((r) => [r.trigger, r.status])).toEqual([['manual', 'different'], ['auto', 'equal']]);

      await manager.perform('dtsver1', 'end');
      await manager.perform('dtsver1', 'release');
    } finally {
      src.disconnect();
      dst.disconnect();
    }
  }, 120_000);

  it('a run that is stopped says so; a run that cannot reach a side fails in words', async () => {
    const dead = await RedisServer.start();
    const deadPort = dead.port;
    await dead.stop();
    await db().task.create({
      data: {
        id: 'dtsver2', name: 'unreachable', region: 'local', status: 'Ended', source: endpoint(source.port), target: endpoint(deadPort),
        objects: JSON.stringify({ dbs: [{ db: 0, targetDb: 0 }] }),
      },
    });
    const failed = await manager.verifyNow('dtsver2');
    await manager.verification.settled('dtsver2');
    const run = await db().verificationRun.findUniqueOrThrow({ where: { id: failed } });
    expect(run.status).toBe('failed');
    expect(run.errorMessage).toMatch(new RegExp(`127\\.0\\.0\\.1:${deadPort}`));
    expect((await logs('dtsver2')).at(-1)).toMatch(/^full data verification failed: /);

    // A slow run (1 key/s) stopped from the console.
    const src = source.client();
    await src.flushall();
    for (let i = 0; i < 20; i++) await src.set(`slow:${i}`, String(i));
    src.disconnect();
    await db().task.update({
      where: { id: 'dtsver2' },
      data: { target: endpoint(target.port), verification: JSON.stringify({ full: { rateLimit: 1 } }) },
    });
    const slow = await manager.verifyNow('dtsver2');
    await new Promise((r) => setTimeout(r, 500));
    await manager.verification.stop('dtsver2');
    const stopped = await db().verificationRun.findUniqueOrThrow({ where: { id: slow } });
    expect(stopped).toMatchObject({ status: 'stopped', errorMessage: 'Stop Verification was pressed' });
    expect((await logs('dtsver2')).at(-1)).toBe('full data verification stopped before it finished: Stop Verification was pressed');
    expect(manager.verification.isRunning('dtsver2')).toBe(false);
  }, 60_000);

  it('Verify Now is refused in words before the task wrote anything; runs left running by a stopped console say so', async () => {
    const { verifyNowAction } = await import('@/lib/tasks/verification-actions');
    await db().task.create({
      data: {
        id: 'dtsver4', name: 'not started', region: 'local', status: 'PrecheckPassed', source: endpoint(source.port), target: endpoint(target.port),
        objects: JSON.stringify({ dbs: [{ db: 0, targetDb: 0 }] }),
      },
    });
    expect(await verifyNowAction('dtsver4')).toEqual({ ok: false, message: 'Start the task first: nothing has been written to the destination yet.', code: 'invalid_state' });
    expect(await verifyNowAction('missing')).toEqual({ ok: false, message: 'This task no longer exists.', code: 'not_found' });
    await db().task.update({ where: { id: 'dtsver4' }, data: { status: 'FullMigration' } });
    expect(await verifyNowAction('dtsver4')).toEqual({ ok: false, message: 'Verify once the full data migration has completed.', code: 'invalid_state' });

    const stale = await db().verificationRun.create({ data: { taskId: 'dtsver4', kind: 'full', trigger: 'manual' } });
    await new EngineManager().verification.recover();
    expect(await db().verificationRun.findUniqueOrThrow({ where: { id: stale.id } }))
      .toMatchObject({ status: 'stopped', errorMessage: 'the console stopped before the run finished' });
  });

  it('Incremental Data Verification reports a key the stream wrote that still differs', async () => {
    const src = source.client();
    const dst = target.client();
    try {
      await Promise.all([src.flushall(), dst.flushall()]);
      await src.set('base', '1');
      await db().task.create({
        data: {
          id: 'dtsver3', name: 'incremental', region: 'local', status: 'PrecheckPassed', instanceClass: 'unlimited',
          source: endpoint(source.port), target: endpoint(target.port), objects: JSON.stringify({ dbs: [{ db: 0, targetDb: 0 }] }),
          verification: JSON.stringify({ full: { enabled: false }, incremental: { enabled: true } }),
        },
      });
      await manager.perform('dtsver3', 'start');
      await waitFor('Running', async () => (await db().task.findUniqueOrThrow({ where: { id: 'dtsver3' } })).status === 'Running');
      await waitFor('the verifier to start', async () => (await logs('dtsver3')).some((m) => m.startsWith('incremental data verification:')));
      for (let i = 0; i < 10; i++) await src.set(`inc:${i}`, `v${i}`);
      await src.hset('inc:h', 'f', 'v');
      await waitFor('the writes on the destination', async () => (await dst.get('inc:9')) === 'v9' && (await dst.hget('inc:h', 'f')) === 'v');
      // Someone else changes a key on the destination before its check (5 s after the write).
      await dst.hset('inc:h', 'f', 'changed');

      const seen = await waitFor('the difference stored', async () => {
        const r = await db().verificationRun.findFirst({ where: { taskId: 'dtsver3', kind: 'incremental' } });
        return r && r.conflicts === 1n ? r : undefined;
      }, 30_000);
      expect(seen.status).toBe('running');
      await waitFor('the difference logged', async () => (await logs('dtsver3')).some((m) =>
        m === 'incremental data verification: key "inc:h" in DB 0 still differs after the stream wrote it (value, field f)'));

      await manager.perform('dtsver3', 'end');
      const run = await finishedRun('dtsver3', 'incremental');
      expect(run.status).toBe('different');
      const detail = await readVerificationRun('dtsver3', run.id);
      expect(detail!.stats).toMatchObject({ different: 1, dropped: 0 });
      expect(detail!.stats!.equal).toBeGreaterThanOrEqual(10);
      expect(detail!.incrementalDbs).toEqual([expect.objectContaining({
        db: 0, targetDb: 0, conflicts: 1, counts: expect.objectContaining({ value: 1 }),
        sample: [expect.objectContaining({ key: 'inc:h', kind: 'value', field: 'f', source: 'v', target: 'changed' })],
      })]);
      expect(await db().verificationRun.count({ where: { taskId: 'dtsver3', kind: 'full' } })).toBe(0); // full verification off
      expect((await logs('dtsver3')).some((m) => /^incremental data verification ended: \d+ keys checked, 1 still different/.test(m))).toBe(true);
    } finally {
      src.disconnect();
      dst.disconnect();
    }
  }, 90_000);
});
