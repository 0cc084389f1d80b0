/**
 * The console's precheck runner never leaves the wizard waiting: against a destination
 * that accepts the connection and never answers it finishes Precheck Failed, naming it;
 * a run whose document was replaced does not keep a new one from starting; a run the
 * console's restart cut off is finished at the next start instead of "in progress" forever.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSilentServer, type SilentServer } from '@/engine/testing/silent-server';
import { RedisServer } from '@/engine/testing/redis-server';
import { startManagedSource } from '@/engine/testing/managed-source';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dts-precheck-'));
process.env.DATABASE_URL = `file:${path.join(dir, 'dts.db')}`;
process.env.DTS_SECRET_KEY = crypto.randomBytes(32).toString('base64');

const { db } = await import('@/lib/db/client');
const { newTaskDraft } = await import('./draft');
const { saveTaskSettings } = await import('./service');
const { startPrecheck, precheckRun, readPrecheck, recoverPrechecks } = await import('./precheck');

let source: RedisServer;
let silent: SilentServer;

beforeAll(async () => {
  [source, silent] = await Promise.all([RedisServer.start(), startSilentServer()]);
});

afterAll(async () => {
  await Promise.all([source?.stop(), silent?.close()]);
  await db().$disconnect();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function silentTargetTask(): Promise<string> {
  const d = newTaskDraft('local');
  d.name = 'silent-destination';
  d.source = { ...d.source, host: '127.0.0.1', port: source.port };
  d.target = { ...d.target, host: '127.0.0.1', port: silent.port };
  d.objects = { dbs: [{ db: 0, targetDb: 0 }], keyPrefixes: { include: [], exclude: [] } };
  const saved = await saveTaskSettings(d);
  if (!saved.ok) throw new Error(JSON.stringify(saved.errors));
  return saved.taskId;
}

describe('the console precheck runner', () => {
  it('a task whose write method is Replication relay gets the Replication relay item: passed for a plain pair and a throttled one, failed naming a prefix filter', async () => {
    const target = await RedisServer.start();
    try {
      const draft = () => {
        const d = newTaskDraft('local');
        d.name = 'relayed';
        d.source = { ...d.source, host: '127.0.0.1', port: source.port };
        d.target = { ...d.target, host: '127.0.0.1', port: target.port };
        d.objects = { dbs: [{ db: 0, targetDb: 0 }], keyPrefixes: { include: [], exclude: [] } };
        d.advanced = { ...d.advanced, writeMethod: 'relay' as const };
        return d;
      };
      const relayItem = async (d: ReturnType<typeof draft>) => {
        const saved = await saveTaskSettings(d);
        if (!saved.ok) throw new Error(JSON.stringify(saved.errors));
        await startPrecheck(saved.taskId);
        await precheckRun(saved.taskId);
        return (await readPrecheck(saved.taskId))!.doc!.items.find((i) => i.id === 'relay-possible');
      };
      expect(await relayItem(draft())).toMatchObject({ name: 'Replication relay', status: 'passed' });
      const filtered = draft();
      filtered.objects = { dbs: [{ db: 0, targetDb: 0 }], keyPrefixes: { include: ['orders:'], exclude: [] } };
      expect(await relayItem(filtered)).toMatchObject({ status: 'failed', reason: expect.stringMatching(/cannot filter by prefix/) });
      // A throttle stands in no relay's way: the relay holds to it (docs/relay.md, Throttling).
      const throttled = draft();
      throttled.advanced = { ...throttled.advanced, fullThrottle: { enabled: true, rps: 5_000, mbps: 10 }, incrementalThrottle: { enabled: true, rps: 1_000, mbps: 1 } };
      expect(await relayItem(throttled)).toMatchObject({ status: 'passed' });
    } finally {
      await target.stop();
    }
  }, 60_000);

  it('finishes Precheck Failed against a destination that accepts the connection and never answers, naming it', async () => {
    const id = await silentTargetTask();
    const started = Date.now();
    await startPrecheck(id);
    await precheckRun(id);
    expect(Date.now() - started).toBeLessThan(45_000);
    const view = (await readPrecheck(id))!;
    expect(view.status).toBe('PrecheckFailed');
    expect(view.summary).toMatchObject({ finished: true, total: 11, done: 11 });
    const target = view.doc!.items.find((i) => i.id === 'target-connectivity')!;
    expect(target.status).toBe('failed');
    expect(target.reason).toMatch(new RegExp(`127\\.0\\.0\\.1:${silent.port}.*(did not|no Redis reply)`));
  }, 60_000);

  it('starts a new run when the stored document was replaced while an earlier run was still going', async () => {
    const id = await silentTargetTask();
    await startPrecheck(id);
    const first = (await readPrecheck(id))!.doc!.runId;
    const firstRun = precheckRun(id);
    // What saving the settings writes (the earlier run still waits on the silent destination).
    await db().task.update({ where: { id }, data: { status: 'NotStarted', precheck: '{}' } });
    await startPrecheck(id);
    const second = (await readPrecheck(id))!.doc;
    expect(second).not.toBeNull();
    expect(second!.runId).not.toBe(first);
    await Promise.all([firstRun, precheckRun(id)]);
    const view = (await readPrecheck(id))!;
    expect(view.doc!.runId).toBe(second!.runId);
    expect(view.summary.finished).toBe(true);
    expect(view.status).toBe('PrecheckFailed');
  }, 60_000);

  it('checks a task whose Read Method is Scan with the scan items, and a source refusing PSYNC passes', async () => {
    const [managed, target] = await Promise.all([startManagedSource(), RedisServer.start()]);
    try {
      const d = newTaskDraft('local');
      d.name = 'scan-mode';
      d.source = { ...d.source, host: '127.0.0.1', port: managed.port };
      d.target = { ...d.target, host: '127.0.0.1', port: target.port };
      d.objects = { dbs: [{ db: 0, targetDb: 0 }], keyPrefixes: { include: [], exclude: [] } };
      d.advanced = { ...d.advanced, readMethod: 'scan' };
      const saved = await saveTaskSettings(d);
      if (!saved.ok) throw new Error(JSON.stringify(saved.errors));
      await startPrecheck(saved.taskId);
      const pending = (await readPrecheck(saved.taskId))!.doc!.items.map((i) => i.id);
      expect(pending).toContain('source-scan');
      expect(pending).toContain('source-notifications');
      expect(pending).not.toContain('source-psync');
      await precheckRun(saved.taskId);
      const view = (await readPrecheck(saved.taskId))!;
      expect(view.doc!.items.find((i) => i.id === 'source-scan')?.status).toBe('passed');
      expect(view.status).toBe('PrecheckPassed');
    } finally {
      await Promise.all([managed.stop(), target.stop()]);
    }
  }, 60_000);

  it('finishes, at the next console start, a precheck the restart cut off', async () => {
    const id = await silentTargetTask();
    const now = new Date().toISOString();
    await db().task.update({
      where: { id },
      data: {
        status: 'Prechecking',
        precheck: JSON.stringify({ runId: 'gone', startedAt: now, items: [
          { id: 'source-connectivity', name: 'Source database connectivity', status: 'passed', reason: 'ok', details: [], ignorable: false, ignored: false },
          { id: 'target-connectivity', name: 'Destination database connectivity', status: 'pending', reason: '', details: [], ignorable: false, ignored: false },
        ] }),
      },
    });
    await recoverPrechecks();
    const view = (await readPrecheck(id))!;
    expect(view.status).toBe('PrecheckFailed');
    expect(view.summary.finished).toBe(true);
    expect(view.doc!.items.map((i) => i.status)).toEqual(['passed', 'failed']);
    expect(view.doc!.items[1]!.reason).toBe('Not checked: the console restarted while the precheck ran. Run the precheck again.');
    const logs = (await db().taskLog.findMany({ where: { taskId: id } })).map((l) => l.message);
    expect(logs).toContain('precheck stopped: the console restarted while it ran; run it again');
  });
});
