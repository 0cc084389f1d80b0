/**
 * The task list and details read models, the live event stream, and the list/details
 * server actions (Clone, Upgrade Instance Class, state checks), on a real SQLite database.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { TaskSample } from '@/lib/engine/metrics-history';
import type { TaskLiveView, TaskStreamEvent } from './details';

// Server actions check the signed-in user: run them as an operator (lib/auth/testing/operator-guard.ts).
vi.mock('@/lib/auth/guard', () => import('@/lib/auth/testing/operator-guard'));

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dts-details-'));
process.env.DATABASE_URL = `file:${path.join(dir, 'dts.db')}`;
process.env.DTS_SECRET_KEY = Buffer.alloc(32, 9).toString('base64');

const { db } = await import('@/lib/db/client');
const { engineManager } = await import('@/lib/engine/manager');
const { availableControls, listTasks, upgradeTargets } = await import('./queries');
const { getTaskDetails, openTaskEventStream, readTaskLogs } = await import('./details');
const { cloneTaskAction, performTaskAction, upgradeInstanceClassAction } = await import('./actions');
const { applyTaskEvent } = await import('@/components/tasks/live-view');

afterAll(async () => {
  await db().$disconnect();
  fs.rmSync(dir, { recursive: true, force: true });
});

const endpoint = (host: string, port: number, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ host, port, authMethod: 'password', ...extra });

async function createTask(id: string, data: Partial<{ status: string; instanceClass: string; name: string }> = {}) {
  await db().task.create({
    data: {
      id, name: data.name ?? id, region: 'local', status: data.status ?? 'Running', instanceClass: data.instanceClass ?? 'large',
      source: endpoint('10.0.0.1', 6379, { passwordEnc: 'v1:secret-ciphertext', username: 'repl' }),
      target: endpoint('10.0.0.2', 6380),
      objects: JSON.stringify({ dbs: [{ db: 0, targetDb: 0 }, { db: 1, targetDb: 3 }], keyPrefixes: { include: ['user:'], exclude: [] } }),
      keysDone: 12n, keysTotal: 40n, bytesDone: 4096n, fullProgress: 30, delayMs: 120,
      logs: { create: [{ level: 'info', message: 'task created' }, { level: 'error', message: 'boom' }] },
    },
  });
}

function sample(at: number, extra: Partial<TaskSample> = {}): TaskSample {
  return {
    at, stage: 'incremental', fullPercent: 100, keysDone: 40, keysTotal: 40, rdbBytesDone: 4096, rps: 10, bytesPerSecond: 2048,
    delayMs: 5, receivedOffset: 1000, checkpointOffset: 900, replid: 'abc', ...extra,
  };
}

/** Reads SSE events from a stream until `count` have arrived. */
async function readEvents(stream: ReadableStream<Uint8Array>, count: number, timeoutMs = 5000): Promise<TaskStreamEvent[]> {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  const events: TaskStreamEvent[] = [];
  let buffer = '';
  const deadline = Date.now() + timeoutMs;
  while (events.length < count) {
    if (Date.now() > deadline) throw new Error(`timed out after ${events.length} events`);
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const type = /^event: (.+)$/m.exec(block)?.[1];
      const data = /^data: (.+)$/m.exec(block)?.[1];
      if (type && data) events.push({ type, data: JSON.parse(data) } as TaskStreamEvent);
    }
  }
  reader.releaseLock();
  return events;
}

describe('task controls', () => {
  it('offers the actions PRODUCT.md allows in each state', () => {
    expect(availableControls('PrecheckPassed', 'large')).toEqual(['start', 'edit', 'clone']);
    expect(availableControls('Running', 'large')).toEqual(['pause', 'end', 'upgrade', 'clone']);
    expect(availableControls('Paused', 'large')).toEqual(['start', 'end', 'release', 'upgrade', 'clone']);
    expect(availableControls('Failed', 'unlimited')).toEqual(['start', 'release', 'clone']); // nothing above unlimited
    expect(availableControls('Ended', 'large')).toEqual(['release', 'clone']);
    expect(upgradeTargets('4xlarge')).toEqual(['unlimited']);
  });
});

describe('read models', () => {
  it('lists tasks with their controls and hides Released ones', async () => {
    await createTask('dtslist1', { status: 'Paused' });
    await createTask('dtslist2', { status: 'Released' });
    const tasks = await listTasks({ region: 'local', search: 'dtslist' });
    expect(tasks.map((t) => t.id)).toEqual(['dtslist1']);
    expect(tasks[0].controls).toContain('release');
    expect(await listTasks({ region: 'local', status: 'Released', search: 'dtslist' })).toEqual([tasks[0]]);
    expect(tasks[0].scanMode).toBe(false);
  });

  it('says which tasks read their source by scan', async () => {
    await createTask('dtsscanlist');
    await db().task.update({ where: { id: 'dtsscanlist' }, data: { advanced: JSON.stringify({ readMethod: 'scan' }) } });
    const [task] = await listTasks({ region: 'local', search: 'dtsscanlist' });
    expect(task?.scanMode).toBe(true);
  });

  it('gives the details page plain JSON without any stored password', async () => {
    await createTask('dtsdet1');
    await db().taskShard.create({ data: { taskId: 'dtsdet1', name: '10.0.0.1:6379', replid: 'abc', offset: 12345n, db: 1, stage: 'incremental' } });
    const d = await getTaskDetails('dtsdet1');
    expect(d).not.toBeNull();
    expect(JSON.stringify(d)).not.toContain('secret-ciphertext');
    expect(d!.config.source).toMatchObject({ host: '10.0.0.1', username: 'repl', hasPassword: true });
    expect(d!.config.dbs).toEqual([{ db: 0, targetDb: 0 }, { db: 1, targetDb: 3 }]);
    expect(d!.config.includePrefixes).toEqual(['user:']);
    expect(d!.state).toMatchObject({ keysDone: 12, keysTotal: 40, bytesDone: 4096, status: 'Running', instanceClassRate: expect.stringContaining('11,000 RPS') });
    expect(d!.state.shards).toEqual([expect.objectContaining({ name: '10.0.0.1:6379', replid: 'abc', offset: 12345, db: 1 })]);
    expect(d!.logs.map((l) => l.message)).toEqual(['boom', 'task created']); // newest first
    expect(d!.logs[0].level).toBe('error');
    expect(await getTaskDetails('nope')).toBeNull();
  });
});

describe('live stream', () => {
  it('sends a snapshot, then samples, record changes and new log lines', async () => {
    await createTask('dtsev1');
    const abort = new AbortController();
    const stream = await openTaskEventStream('dtsev1', { pollMs: 50, signal: abort.signal });
    expect(stream).not.toBeNull();
    const [snapshot] = await readEvents(stream!, 1);
    expect(snapshot.type).toBe('snapshot');

    const manager = engineManager();
    manager['record']('dtsev1', {
      stage: 'incremental', keysDone: 40, keysTotal: 40, rdbBytesDone: 4096, rdbBytesTotal: 4096, fullPercent: 100, replid: 'abc',
      receivedOffset: 1000, checkpoint: { offset: 900, db: 0 }, delayMs: 5, rps: 10, bytesPerSecond: 2048,
      commandsApplied: 1, bytesRead: 0, destinationErrors: 0, destinationRetries: 0, fullSyncs: 1, partialResyncs: 0, evictedKeys: 0,
    });
    await db().task.update({ where: { id: 'dtsev1' }, data: { status: 'Paused' } });
    await db().taskLog.create({ data: { taskId: 'dtsev1', level: 'warn', message: 'paused by the user' } });
    const events = await readEvents(stream!, 3);
    const byType = Object.fromEntries(events.map((e) => [e.type, e]));
    expect(byType.sample?.type === 'sample' && byType.sample.data.receivedOffset).toBe(1000);
    expect(byType.state?.type === 'state' && byType.state.data.status).toBe('Paused');
    expect(byType.logs?.type === 'logs' && byType.logs.data.map((l) => l.message)).toEqual(['paused by the user']);

    abort.abort();
    const reader = stream!.getReader();
    expect((await reader.read()).done).toBe(true);
  });

  it('ends when the reader may no longer see it (session signed out, revoked, user disabled), or that cannot be told', async () => {
    await createTask('dtsev3');
    for (const answer of [async () => false, async () => { throw new Error('database away'); }]) {
      let allowed = true;
      const stream = await openTaskEventStream('dtsev3', { pollMs: 50, recheckMs: 20, stillAllowed: () => (allowed ? Promise.resolve(true) : answer()) });
      const reader = stream!.getReader();
      expect((await reader.read()).done).toBe(false);
      allowed = false;
      for (;;) if ((await reader.read()).done) break;
    }
  });

  it('answers null for an unknown task', async () => {
    expect(await openTaskEventStream('missing')).toBeNull();
  });

  it('merges events into the cached view', async () => {
    await createTask('dtsev2');
    const d = (await getTaskDetails('dtsev2'))!;
    let view: TaskLiveView | undefined = { state: d.state, logs: d.logs, samples: [] };
    view = applyTaskEvent(view, { type: 'sample', data: sample(1000) });
    view = applyTaskEvent(view, { type: 'sample', data: sample(1000) }); // duplicates are dropped
    view = applyTaskEvent(view, { type: 'sample', data: sample(2000) });
    expect(view!.samples.map((s) => s.at)).toEqual([1000, 2000]);
    const newer = await readTaskLogs('dtsev2');
    view = applyTaskEvent(view, { type: 'logs', data: [{ id: 999_999, level: 'info', message: 'new', at: new Date().toISOString() }, newer[0]] });
    expect(view!.logs[0].message).toBe('new');
    expect(view!.logs).toHaveLength(d.logs.length + 1);
    view = applyTaskEvent(view, { type: 'state', data: { ...d.state, status: 'Ended' } });
    expect(view!.state.status).toBe('Ended');
    expect(applyTaskEvent(undefined, { type: 'sample', data: sample(1) })).toBeUndefined();
  });
});

describe('server actions', () => {
  it('clones a task with the same settings, Not Started, "(copy)"', async () => {
    await createTask('dtsclone1', { name: 'cache move', status: 'Ended' });
    const r = await cloneTaskAction('dtsclone1');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.name).toBe('cache move (copy)');
    const [orig, copy] = await Promise.all([
      db().task.findUniqueOrThrow({ where: { id: 'dtsclone1' } }),
      db().task.findUniqueOrThrow({ where: { id: r.taskId } }),
    ]);
    expect(copy.id).toMatch(/^dts[a-z0-9]{12}$/);
    expect(copy).toMatchObject({
      status: 'NotStarted', name: 'cache move (copy)', source: orig.source, target: orig.target, objects: orig.objects,
      advanced: orig.advanced, verification: orig.verification, instanceClass: orig.instanceClass, fullProgress: 0, keysDone: 0n,
    });
    expect((await cloneTaskAction('nope')).ok).toBe(false);
  });

  it('upgrades the instance class only upward and only while Running, Paused or Failed', async () => {
    await createTask('dtsup1', { status: 'Paused' });
    expect(await upgradeInstanceClassAction('dtsup1', 'small')).toEqual({ ok: false, message: 'An upgrade needs a class above large.', code: 'invalid_request' });
    expect(await upgradeInstanceClassAction('dtsup1', 'bogus')).toMatchObject({ ok: false });
    expect(await upgradeInstanceClassAction('dtsup1', 'xlarge')).toEqual({ ok: true });
    expect((await db().task.findUniqueOrThrow({ where: { id: 'dtsup1' } })).instanceClass).toBe('xlarge');
    expect((await readTaskLogs('dtsup1'))[0].message).toMatch(/upgraded from large to xlarge/);

    await createTask('dtsup2', { status: 'Ended' });
    const r = await upgradeInstanceClassAction('dtsup2', 'xlarge');
    expect(r.ok).toBe(false);
    expect(!r.ok && r.message).toMatch(/Ended cannot be upgraded/);
  });

  it('answers in words when the state does not allow an action', async () => {
    await createTask('dtsact1', { status: 'Ended' });
    expect(await performTaskAction('dtsact1', 'pause')).toEqual({ ok: false, message: 'A task that is Ended cannot be paused.', code: 'invalid_state' });
    expect(await performTaskAction('missing', 'start')).toEqual({ ok: false, message: 'This task no longer exists.', code: 'not_found' });
    // End of a task without an engine (e.g. after a failed start) just records Ended.
    await createTask('dtsact2', { status: 'Paused' });
    expect(await performTaskAction('dtsact2', 'end')).toEqual({ ok: true });
    expect((await db().task.findUniqueOrThrow({ where: { id: 'dtsact2' } })).status).toBe('Ended');
    expect(await performTaskAction('dtsact2', 'release')).toEqual({ ok: true });
    expect((await db().task.findUniqueOrThrow({ where: { id: 'dtsact2' } })).status).toBe('Released');
  });
});

describe('state names in refusals', () => {
  it('names the state as the console shows it', async () => {
    await createTask('dtsact3', { status: 'FullMigration' });
    expect(await performTaskAction('dtsact3', 'pause')).toEqual({ ok: false, message: 'A task that is Performing Full Data Migration cannot be paused.', code: 'invalid_state' });
  });
});
