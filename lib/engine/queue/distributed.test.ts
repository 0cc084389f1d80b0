/**
 * Distributed mode end to end (issue 18): PostgreSQL holds the records, a control-plane redis-server
 * on a free port holds the queue, three `npm run worker` processes run the shards, and the console
 * (an EngineManager with the queue) only dispatches. A 3-master cluster source task spreads its
 * shards over the workers; under a write load of commands that count twice when applied twice:
 * - one worker is killed with SIGKILL: within the stall interval another takes its shard(s) over
 *   and resumes each by partial resync (the master's log says so; no second full sync), and after
 *   the load the destination equals the source key by key;
 * - the console is killed instead: the tasks keep running, and a console started again shows them live.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterSide, closeSide, compareKeyByKey, type ClusterSide } from '@/engine/testing/compare';
import { RedisCluster, RedisServer } from '@/engine/testing/redis-server';
import { createTestPostgresDatabase } from '@/lib/db/testing/postgres-database';

const database = await createTestPostgresDatabase('distributed');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dts-distributed-'));
process.env.DATABASE_URL = database.url;
process.env.DTS_DATA_DIR = path.join(dir, 'console');
process.env.DTS_SECRET_KEY = Buffer.alloc(32, 7).toString('base64');
const STALL_MS = 4_000;

const { db, migrateDatabase } = await import('@/lib/db/client');
const { EngineManager } = await import('../manager');
const { cutOver, cutoverInputSchema } = await import('../cutover');
await migrateDatabase();

async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

let control: RedisServer;
let source: RedisCluster;
let target: RedisServer;
let srcSide: ClusterSide;
let dst: Redis;
let queueUrl: string;
const workers = new Map<string, ChildProcess>();

function startWorker(name: string): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'worker-main.ts')], {
    cwd: process.cwd(),
    env: { ...process.env, DATABASE_URL: `${database.url}${database.url.includes('?') ? '&' : '?'}application_name=dts-${name}`, DTS_QUEUE_URL: queueUrl, DTS_WORKER_NAME: name, DTS_WORKER_SLOTS: '2', DTS_WORKER_STALL_MS: String(STALL_MS),
      DTS_DATA_DIR: path.join(dir, name) },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  workers.set(name, child);
  return child;
}

function startConsole(command: string, taskId: string): { child: ChildProcess; lines: string[] } {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, '..', 'testing', 'console-process.ts'), command, taskId], {
    cwd: process.cwd(), env: { ...process.env, DTS_QUEUE_URL: queueUrl }, stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  let rest = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    const parts = (rest + chunk.toString()).split('\n');
    rest = parts.pop()!;
    lines.push(...parts);
  });
  return { child, lines };
}

async function killed(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exit = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exit;
}

/** A write load on the cluster: INCR / RPUSH / HINCRBY / DEL on keys across all slots (applied twice, they differ). */
function clusterLoad(seed: number): { stop: () => Promise<number> } {
  const client = source.client();
  let stopping = false;
  let sent = 0;
  const loop = (async () => {
    for (let round = 0; !stopping; round++) {
      const ops: Promise<unknown>[] = [];
      for (let i = 0; i < 30; i++) {
        const n = (seed * 7919 + round * 31 + i * 17) % 600;
        switch ((round + i) % 4) {
          case 0: ops.push(client.incr(`c:${n}`)); break;
          case 1: ops.push(client.rpush(`l:${n % 200}`, `${round}`)); break;
          case 2: ops.push(client.hincrby(`h:${n % 150}`, `f${i % 5}`, 1)); break;
          default: ops.push(n % 10 === 0 ? client.del(`c:${n}`) : client.incrby(`c:${n}`, 2));
        }
      }
      await Promise.all(ops);
      sent += ops.length;
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  return { stop: async () => { stopping = true; await loop; client.disconnect(); return sent; } };
}

async function createTask(id: string): Promise<void> {
  const endpoint = (port: number, mode: string) => JSON.stringify({ host: '127.0.0.1', port, authMethod: 'password-free', mode });
  await db().task.create({
    data: { id, name: id, region: 'local', status: 'PrecheckPassed', instanceClass: 'unlimited',
      source: endpoint(source.nodes[0]!.port, 'cluster'), target: endpoint(target.port, 'standalone') },
  });
}

const shardsOf = (taskId: string) => db().taskShard.findMany({ where: { taskId, status: { not: null } }, orderBy: { name: 'asc' } });
const statusOf = async (taskId: string) => (await db().task.findUniqueOrThrow({ where: { id: taskId } })).status;

async function fullSyncs(): Promise<number[]> {
  return Promise.all(source.nodes.map(async (n) => {
    const c = n.client();
    try {
      return Number(/sync_full:(\d+)/.exec(String(await c.info('stats')))?.[1]);
    } finally {
      c.disconnect();
    }
  }));
}

async function settleEqual(): Promise<void> {
  let diffs: unknown[] = [];
  await waitFor('the destination to equal the source', async () => {
    diffs = await compareKeyByKey(srcSide, dst, [0]);
    return diffs.length === 0;
  }, 30_000).catch(() => {
    throw new Error(`the destination differs: ${JSON.stringify(diffs.slice(0, 5))}`);
  });
}

/** On a failure: what the task's log and shards said. */
async function dump(taskId: string): Promise<void> {
  const logs = await db().taskLog.findMany({ where: { taskId }, orderBy: { id: 'asc' } });
  const shards = await db().taskShard.findMany({ where: { taskId } });
  const task = await db().task.findUnique({ where: { id: taskId } });
  console.error(`task ${taskId}: ${task?.status} ${task?.errorMessage ?? ''}\n${logs.map((l) => `${l.level}: ${l.message}`).join('\n')}\n`
    + shards.map((s) => `${s.name}: ${s.status} ${s.workerId} ${s.message ?? ''} offset ${s.offset}`).join('\n'));
}

beforeAll(async () => {
  [control, source, target] = await Promise.all([
    RedisServer.start(),
    RedisCluster.start(3, { config: { 'repl-diskless-sync-delay': 0, 'repl-backlog-size': '64mb' } }),
    RedisServer.start(),
  ]);
  queueUrl = `redis://127.0.0.1:${control.port}`;
  srcSide = await clusterSide(source.nodes.map((n) => n.port));
  dst = target.client();
  for (const name of ['w1', 'w2', 'w3']) startWorker(name);
}, 120_000);

afterAll(async () => {
  await Promise.all([...workers.values()].map(killed));
  if (srcSide) closeSide(srcSide);
  dst?.disconnect();
  await Promise.all([control?.stop(), source?.stop(), target?.stop()]);
  await db().$disconnect();
  await database.drop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('distributed mode: PostgreSQL, a queue Redis, three workers', () => {
  it('a cluster task spreads its shards over the workers; a worker killed -9 is taken over by partial resync; equal', async () => {
    const id = 'dtsdist1';
    const seed = source.client();
    for (let i = 0; i < 600; i++) await seed.set(`k:${i}`, `v${i}`);
    seed.disconnect();
    await createTask(id);
    const consoleManager = new EngineManager({ queueUrl });
    try {
      await consoleManager.perform(id, 'start');
      const running = await waitFor('three shards Running on workers', async () => {
        const shards = await shardsOf(id);
        return shards.length === 3 && shards.every((s) => s.status === 'Running' && s.workerId) && (await statusOf(id)) === 'Running' && shards;
      });
      const holders = new Set(running.map((s) => s.workerId));
      expect(holders.size, `shards on ${[...holders].join(', ')}`).toBeGreaterThanOrEqual(2);
      expect(await fullSyncs()).toEqual([1, 1, 1]);
      const load = clusterLoad(1);
      await new Promise((r) => setTimeout(r, 1_500));
      // The worker of the first shard goes, as a host would.
      const victim = running[0]!.workerId!;
      const lost = running.filter((s) => s.workerId === victim).map((s) => s.name);
      const killedAt = Date.now();
      await killed(workers.get(victim)!);
      const taken = await waitFor('the shard(s) taken over', async () => {
        const shards = await shardsOf(id);
        const mine = shards.filter((s) => lost.includes(s.name));
        return mine.every((s) => s.workerId && s.workerId !== victim) && Date.now() - killedAt;
      }, 30_000);
      // Within the stall interval (plus the poll and a lease write).
      expect(taken).toBeLessThan(STALL_MS + 1_500);
      await waitFor('Running again on the other workers', async () => {
        const shards = await shardsOf(id);
        return shards.every((s) => s.status === 'Running' && s.workerId !== victim) && (await statusOf(id)) === 'Running';
      });
      await new Promise((r) => setTimeout(r, 1_500));
      let sent = await load.stop();
      expect(sent).toBeGreaterThan(1_000);
      await settleEqual();
      // Resumed by partial resync: no second full sync anywhere, and the lost shards' masters accepted a PSYNC.
      expect(await fullSyncs()).toEqual([1, 1, 1]);
      const logs = (await db().taskLog.findMany({ where: { taskId: id }, orderBy: { id: 'asc' } })).map((l) => l.message).join('\n');
      for (const name of lost) expect(logs).toContain(`[${name}] worker `);
      expect(logs).toMatch(/starting from checkpoint offset \d+ \(partial resync\)|resuming there/);
      const resumed = source.nodes.filter((n) => /Partial resynchronization request .* accepted/.test(n.log())).length;
      expect(resumed).toBeGreaterThanOrEqual(lost.length);
      console.log(`distributed: shards on ${[...holders].join(', ')}; ${victim} killed holding ${lost.join('; ')}; taken over in ${taken} ms `
        + `(stall interval ${STALL_MS} ms); ${resumed} master(s) accepted a partial resync; full syncs ${(await fullSyncs()).join(',')}; ${sent} commands; equal`);
      expect(logs).not.toMatch(/may now differ from the source|runs again/);

      // Upgrade Instance Class reaches every shard's worker; the task's limit is shared by all its shards.
      // The mean of the task's live records/s (the limiter allows a second's burst; a sample may hold one).
      const rpsNow = async (ms: number) => {
        const seen: number[] = [];
        for (const end = Date.now() + ms; Date.now() < end;) {
          seen.push(consoleManager.liveProgress(id)?.rps ?? 0);
          await new Promise((r) => setTimeout(r, 250));
        }
        return Math.round(seen.reduce((a, b) => a + b, 0) / seen.length);
      };
      const load2 = clusterLoad(4);
      try {
        await db().task.update({ where: { id }, data: { instanceClass: 'micro' } }); // 200 records/s
        expect(await consoleManager.applyLimits(id)).toBe(true);
        await new Promise((r) => setTimeout(r, 2_000));
        const limited = await rpsNow(5_000);
        expect(limited).toBeGreaterThan(0);
        expect(limited).toBeLessThanOrEqual(300); // each shard with the whole limit: 600
        await db().task.update({ where: { id }, data: { instanceClass: 'unlimited' } });
        await consoleManager.applyLimits(id);
        // Pause and Start reach them too.
        await consoleManager.perform(id, 'pause');
        expect(await statusOf(id)).toBe('Paused');
        const pausedAt = Number(/total_commands_processed:(\d+)/.exec(String(await dst.info('stats')))?.[1]);
        await new Promise((r) => setTimeout(r, 1_500));
        expect(Number(/total_commands_processed:(\d+)/.exec(String(await dst.info('stats')))?.[1]) - pausedAt).toBeLessThanOrEqual(3);
        await consoleManager.perform(id, 'start');
        await waitFor('Running again', async () => (await statusOf(id)) === 'Running');
        console.log(`distributed: micro class: ${limited} records/s on average for the 3 shards together (limit 200); paused: the destination still; started again`);
      } finally {
        sent += await load2.stop();
      }
      await settleEqual();
      // Cut over: every master's offset acknowledged, the keys each shard's stream wrote checked (asked of
      // the workers running them), then End reaches every shard.
      await db().task.update({ where: { id }, data: { instanceClass: 'unlimited' } });
      const report = await cutOver(consoleManager, id, cutoverInputSchema.parse({ sampleKeys: 200 }));
      expect(report.shards).toHaveLength(3);
      expect(report.changedKeysVerified).toBeGreaterThan(100);
      expect(report.statement).toMatch(/every key the stream wrote \(\d+\)/);
      console.log(`distributed: cut over: ${report.statement}`);
      expect(await statusOf(id)).toBe('Ended');
      expect((await shardsOf(id)).map((s) => s.status)).toEqual(['Ended', 'Ended', 'Ended']);
    } catch (err) {
      await dump(id);
      throw err;
    } finally {
      await consoleManager.shutdown();
    }
  }, 180_000);

  it('the console killed -9: the task keeps running on the workers; a console started again shows it live', async () => {
    const id = 'dtsdist2';
    const flush = source.client();
    await Promise.all(source.nodes.map(async (n) => {
      const c = n.client();
      await c.flushall();
      c.disconnect();
    }));
    flush.disconnect();
    await dst.flushall();
    await createTask(id);
    startWorker('w4'); // room for the shards a worker hands back below
    const first = startConsole('start', id);
    const load = clusterLoad(2);
    let second: ReturnType<typeof startConsole> | undefined;
    const consoleManager = new EngineManager({ queueUrl });
    try {
      await waitFor('Running on the workers', async () => (await statusOf(id)) === 'Running'
        && (await shardsOf(id)).every((s) => s.status === 'Running'));
      const syncsAtStart = await fullSyncs();
      await new Promise((r) => setTimeout(r, 1_000));
      await killed(first.child);
      // Nobody dispatches now: the workers keep applying the stream and recording it.
      const before = (await shardsOf(id)).map((s) => s.updatedAt.getTime());
      const applied = async () => Number(/total_commands_processed:(\d+)/.exec(String(await dst.info('stats')))?.[1]);
      const appliedBefore = await applied();
      await new Promise((r) => setTimeout(r, 3_000));
      const appliedAfter = await applied();
      expect(appliedAfter - appliedBefore).toBeGreaterThan(1_000);
      expect(await statusOf(id)).toBe('Running');
      const after = (await shardsOf(id)).map((s) => s.updatedAt.getTime());
      expect(after.every((t, i) => t > before[i]!)).toBe(true);
      second = startConsole('watch', id);
      const live = await waitFor('a live sample in the new console', async () => second!.lines.find((l) => l.startsWith('sample ')), 20_000);
      const sample = JSON.parse(live.slice('sample '.length)) as { stage: string; keysDone: number; rps: number };
      expect(sample.stage).toBe('incremental');
      // A worker stopped normally hands its shards back at once: no stall interval to wait.
      const shards = await shardsOf(id);
      const leaving = shards[0]!.workerId!;
      const handed = shards.filter((s) => s.workerId === leaving).map((s) => s.name);
      const termAt = Date.now();
      const exit = new Promise((r) => workers.get(leaving)!.once('exit', r));
      workers.get(leaving)!.kill('SIGTERM');
      await exit;
      const exitedIn = Date.now() - termAt;
      // Taken = another worker holds the shard's lease; the stall interval plays no part in it.
      const handedIn = await waitFor('the handed-back shard(s) taken', async () => {
        const now = await shardsOf(id);
        return now.filter((s) => handed.includes(s.name)).every((s) => s.workerId && s.workerId !== leaving) && Date.now() - termAt;
      }, 30_000);
      const runningIn = await waitFor('the handed-back shard(s) running', async () => {
        const now = await shardsOf(id);
        return now.filter((s) => handed.includes(s.name)).every((s) => s.status === 'Running') && Date.now() - termAt;
      }, 30_000);
      expect(handedIn - exitedIn).toBeLessThan(STALL_MS / 2);
      const handback = (await db().taskLog.findMany({ where: { taskId: id } })).map((l) => l.message).filter((m) => m.includes(`worker ${leaving} is stopping`));
      expect(handback.length).toBe(handed.length);
      // PostgreSQL drops every connection (a restart, a fail-over): the workers reconnect and go on.
      const running = () => [...workers].filter(([, c]) => c.exitCode === null && c.signalCode === null).map(([name]) => name);
      const runningBefore = running();
      const dropped = await db().$queryRawUnsafe<{ pid: number }[]>(
        "SELECT pid FROM pg_stat_activity WHERE application_name LIKE 'dts-w%' AND pg_terminate_backend(pid)");
      expect(dropped.length).toBeGreaterThan(0);
      const droppedAt = Date.now();
      await new Promise((r) => setTimeout(r, 3_000));
      expect(running()).toEqual(runningBefore);
      const alive = runningBefore.length;
      await waitFor('checkpoints saved again', async () => (await shardsOf(id)).every((s) => s.status === 'Running' && s.updatedAt.getTime() > droppedAt + 1_000), 20_000);
      const sent = await load.stop();
      await settleEqual();
      expect(await fullSyncs()).toEqual(syncsAtStart);
      const logs = (await db().taskLog.findMany({ where: { taskId: id } })).map((l) => l.message).join('\n');
      expect(logs).not.toMatch(/runs again|may now differ/);
      console.log(`distributed: PostgreSQL dropped the workers' ${dropped.length} connection(s); ${alive} worker(s) went on, checkpoints saved again`);
      console.log(`distributed: console killed -9; the workers went on (the destination applied ${appliedAfter - appliedBefore} commands in 3 s without a console); `
        + `the new console's first live sample: ${live}; ${leaving} stopped with SIGTERM handed ${handed.join('; ')} back (exited in ${exitedIn} ms, taken at ${handedIn} ms, running at ${runningIn} ms); ${sent} commands; equal`);
      await consoleManager.perform(id, 'end');
      expect(await statusOf(id)).toBe('Ended');
    } catch (err) {
      await dump(id);
      throw err;
    } finally {
      await load.stop().catch(() => undefined);
      await killed(first.child);
      if (second) await killed(second.child);
      await consoleManager.shutdown();
    }
  }, 180_000);
  it('the queue Redis stops answering: each worker stops its engines before its locks lapse; once it answers, the shards resume by partial resync; equal', async () => {
    const id = 'dtsdist3';
    await Promise.all(source.nodes.map(async (n) => {
      const c = n.client();
      await c.flushall();
      c.disconnect();
    }));
    await dst.flushall();
    await createTask(id);
    const consoleManager = new EngineManager({ queueUrl });
    const load = clusterLoad(3);
    let frozen = false;
    try {
      await consoleManager.perform(id, 'start');
      await waitFor('Running on the workers', async () => (await statusOf(id)) === 'Running'
        && (await shardsOf(id)).every((s) => s.status === 'Running' && s.workerId));
      const syncsAtStart = await fullSyncs();
      const resyncsAtStart = source.nodes.map((n) => n.log().match(/Partial resynchronization request .* accepted/g)?.length ?? 0);
      await new Promise((r) => setTimeout(r, 1_000));
      const applied = async () => Number(/total_commands_processed:(\d+)/.exec(String(await dst.info('stats')))?.[1]);
      // A silent partition of the control plane: the queue Redis is frozen, its connections stay open.
      process.kill(control.pid, 'SIGSTOP');
      frozen = true;
      const frozenAt = Date.now();
      let last = await applied();
      const quiet = await waitFor('every engine stopped', async () => {
        await new Promise((r) => setTimeout(r, 500));
        const now = await applied();
        const still = now - last <= 2; // our own INFO calls
        last = now;
        return still && Date.now() - frozenAt;
      }, 20_000);
      expect(quiet).toBeLessThan(STALL_MS + 1_000);
      // An action meanwhile says why it cannot be done, and does nothing later.
      await createTask(`${id}b`);
      await expect(consoleManager.perform(`${id}b`, 'start')).rejects.toThrow(/the queue Redis \(DTS_QUEUE_URL redis:\/\/127\.0\.0\.1:\d+\) did not answer \(.*timed out/i);
      expect(await applied() - last).toBeLessThanOrEqual(4);
      process.kill(control.pid, 'SIGCONT');
      frozen = false;
      const back = Date.now();
      const before = await applied();
      await waitFor('the destination applying again', async () => (await applied()) - before > 1_000, 60_000);
      const resumedIn = Date.now() - back;
      const sent = await load.stop();
      await settleEqual();
      expect(await fullSyncs()).toEqual(syncsAtStart);
      const resyncs = source.nodes.map((n, i) => (n.log().match(/Partial resynchronization request .* accepted/g)?.length ?? 0) - resyncsAtStart[i]!);
      expect(resyncs.every((n) => n >= 1), `partial resyncs per master ${resyncs.join(',')}`).toBe(true);
      const logs = (await db().taskLog.findMany({ where: { taskId: id } })).map((l) => l.message);
      const fenced = logs.filter((m) => /could not renew its hold|lost its lock/.test(m));
      expect(fenced.length).toBeGreaterThanOrEqual(3);
      expect(logs.join('\n')).not.toMatch(/runs again|may now differ/);
      expect(await statusOf(id)).toBe('Running');
      expect(await statusOf(`${id}b`)).toBe('PrecheckPassed');
      expect(await db().taskShard.count({ where: { taskId: `${id}b` } })).toBe(0);
      console.log(`distributed: queue Redis frozen; every engine stopped ${quiet} ms later (lock ${STALL_MS / 2} ms); `
        + `${fenced.length} shard(s) fenced; the queue back: applying again in ${resumedIn} ms; partial resyncs ${resyncs.join(',')}; `
        + `full syncs ${(await fullSyncs()).join(',')}; ${sent} commands; equal`);
      await consoleManager.perform(id, 'end');
      expect(await statusOf(id)).toBe('Ended');
      // Release: the task's records on the destination go, whoever ran its shards.
      expect((await dst.keys('*DTS*')).length).toBeGreaterThan(0);
      await consoleManager.perform(id, 'release');
      expect(await statusOf(id)).toBe('Released');
      expect(await dst.keys('*DTS*')).toEqual([]);
    } catch (err) {
      if (frozen) process.kill(control.pid, 'SIGCONT');
      await dump(id);
      throw err;
    } finally {
      await load.stop().catch(() => undefined);
      await consoleManager.shutdown();
    }
  }, 180_000);
});
