/**
 * Sync benchmarks, as ratios against native Redis replication measured in the same run:
 *
 * - Full migration: 1M small strings + 100k small hashes. Native: a fresh
 *   redis-server doing REPLICAOF (diskless, no delay) until its link is up.
 *   Ours: SyncTask `full` into an empty redis-server.
 * - Incremental: a `redis-benchmark -P 32` SET burst on the source. Native: how
 *   fast an attached replica's offset catches up. Ours: how fast the task's
 *   checkpoint catches up. Reported as commands applied per second.
 * - Engine memory: peak RSS of this process during each phase.
 *
 * Each side is measured BENCH_RUNS times (default 3), native and ours in turn so
 * that drift in the machine's speed hits both, and the medians are compared: on a
 * 2-core machine one run of either varies by ±15 %.
 *
 * Sizes can be lowered for a quick run: BENCH_KEYS, BENCH_HASHES, BENCH_BURST. BENCH_BURST_TEST picks
 * the burst's redis-benchmark test (default set; incr and lpush show the stream's other commands).
 */
import { spawn } from 'node:child_process';
import type Redis from 'ioredis';
import { parseRedisUrl } from '../endpoint';
import { SyncTask } from '../sync/sync-task';
import type { ReadMethod } from '../sync/types';
import { RedisServer, requireBinary } from '../testing/redis-server';

export const KEYS = Number(process.env.BENCH_KEYS ?? 1_000_000);
export const HASHES = Number(process.env.BENCH_HASHES ?? 100_000);
const BURST = Number(process.env.BENCH_BURST ?? 1_000_000);
const BURST_TEST = process.env.BENCH_BURST_TEST ?? 'set';
export const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 3));

export const MASTER_CONFIG = { 'repl-diskless-sync': 'yes', 'repl-diskless-sync-delay': 0, 'repl-backlog-size': '512mb',
  'client-output-buffer-limit': 'replica 0 0 0' };

export class RssSampler {
  peak = 0;
  private timer = setInterval(() => {
    this.peak = Math.max(this.peak, process.memoryUsage().rss);
  }, 50);
  stop(): number {
    clearInterval(this.timer);
    return Math.max(this.peak, process.memoryUsage().rss);
  }
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function list(values: number[], digits: number): string {
  return values.map((v) => v.toLocaleString('en-US', { maximumFractionDigits: digits })).join(', ');
}

export function mb(bytes: number): string {
  return `${(bytes / 1048576).toFixed(0)} MB`;
}

async function info(client: Redis, section: string, field: string): Promise<string | undefined> {
  const text = await client.info(section);
  return new RegExp(`^${field}:(.*)$`, 'm').exec(text)?.[1]?.trim();
}

async function waitUntil(probe: () => Promise<boolean>, timeoutMs = 600_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error('benchmark step timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

export async function populate(source: RedisServer): Promise<void> {
  const c = source.client();
  await c.call('DEBUG', 'POPULATE', KEYS, 'key', 16);
  await c.eval(`for i=1,${HASHES} do redis.call('HSET','hash:'..i,'f1','v1','f2','v2','f3','v3') end`, 0);
  c.disconnect();
}

/** Seconds for a fresh replica to be fully synchronized with `master`. */
export async function nativeFullSync(master: RedisServer): Promise<number> {
  const replica = await RedisServer.start();
  const c = replica.client();
  try {
    const t0 = performance.now();
    await c.call('REPLICAOF', '127.0.0.1', master.port);
    await waitUntil(async () => (await info(c, 'replication', 'master_link_status')) === 'up');
    return (performance.now() - t0) / 1000;
  } finally {
    c.disconnect();
    await replica.stop();
  }
}

/** Our full migration into an empty server, by replication or by scan; with the source's CPU seconds meanwhile. */
export async function ourFullSync(master: RedisServer, log: (l: string) => void, read: ReadMethod = 'replication'): Promise<{ seconds: number; rss: number; sourceCpu: number }> {
  const target = await RedisServer.start();
  const rss = new RssSampler();
  const m = master.client();
  try {
    const task = new SyncTask({ taskId: `benchfull${read}`, source: parseRedisUrl(master.url), target: parseRedisUrl(target.url), type: 'full', read });
    const cpu0 = await serverCpu(m);
    const t0 = performance.now();
    await task.run();
    const seconds = (performance.now() - t0) / 1000;
    const sourceCpu = (await serverCpu(m)) - cpu0;
    const t = target.client();
    const keys = await t.dbsize();
    t.disconnect();
    if (keys !== KEYS + HASHES) log(`  WARNING: destination holds ${keys} keys, expected ${KEYS + HASHES}`);
    return { seconds, rss: rss.stop(), sourceCpu };
  } finally {
    m.disconnect();
    await target.stop();
  }
}

/** Runs the burst in another process while this one keeps applying (async: the engine must not be blocked). */
function burst(port: number): Promise<void> {
  const bin = requireBinary('redis-benchmark', 'redis-server');
  return new Promise((resolve, reject) => {
    const child = spawn(bin, ['-p', String(port), '-t', BURST_TEST, '-n', String(BURST), '-P', '32', '-r', '100000', '-d', '16', '-q'],
      { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`redis-benchmark failed: ${stderr}`))));
  });
}

/** A server's CPU seconds so far (INFO cpu: user + system). */
export async function serverCpu(client: Redis): Promise<number> {
  const text = String(await client.info('cpu'));
  const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(text)?.[1] ?? 0);
  return field('used_cpu_user') + field('used_cpu_sys');
}

/** This process's CPU seconds so far. */
function engineCpu(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** Commands per second a native replica applies during a burst; the replica's CPU seconds per million commands. */
async function nativeApplyRate(): Promise<{ rate: number; applierCpu: number }> {
  const master = await RedisServer.start({ config: MASTER_CONFIG });
  const replica = await RedisServer.start();
  const m = master.client();
  const r = replica.client();
  try {
    await r.call('REPLICAOF', '127.0.0.1', master.port);
    await waitUntil(async () => (await info(r, 'replication', 'master_link_status')) === 'up');
    const cpu0 = await serverCpu(r);
    const t0 = performance.now();
    await burst(master.port);
    const target = Number(await info(m, 'replication', 'master_repl_offset'));
    await waitUntil(async () => Number(await info(r, 'replication', 'slave_repl_offset')) >= target);
    const rate = BURST / ((performance.now() - t0) / 1000);
    return { rate, applierCpu: ((await serverCpu(r)) - cpu0) / (BURST / 1e6) };
  } finally {
    m.disconnect();
    r.disconnect();
    await Promise.all([master.stop(), replica.stop()]);
  }
}

async function ourApplyRate(): Promise<{ rate: number; rss: number; destinationCpu: number; engineCpu: number }> {
  const master = await RedisServer.start({ config: MASTER_CONFIG });
  const target = await RedisServer.start();
  const m = master.client();
  const task = new SyncTask({ taskId: 'benchincr', source: parseRedisUrl(master.url), target: parseRedisUrl(target.url) });
  const running = task.run();
  let failure: unknown;
  running.catch((err: unknown) => {
    failure = err;
  });
  try {
    await waitUntil(async () => {
      if (failure) throw failure;
      return task.progress.stage === 'incremental';
    });
    const rss = new RssSampler();
    const d = target.client();
    const cpu0 = await serverCpu(d);
    const engine0 = engineCpu();
    const t0 = performance.now();
    await burst(master.port);
    const targetOffset = Number(await info(m, 'replication', 'master_repl_offset'));
    await waitUntil(async () => {
      if (failure) throw failure;
      return (task.progress.checkpoint?.offset ?? 0) >= targetOffset;
    });
    const rate = BURST / ((performance.now() - t0) / 1000);
    const perMillion = BURST / 1e6;
    const destinationCpu = ((await serverCpu(d)) - cpu0) / perMillion;
    d.disconnect();
    return { rate, rss: rss.stop(), destinationCpu, engineCpu: (engineCpu() - engine0) / perMillion };
  } finally {
    await task.stop();
    await running.catch(() => undefined);
    m.disconnect();
    await Promise.all([master.stop(), target.stop()]);
  }
}

export async function run(log: (line: string) => void): Promise<void> {
  log(`full migration: ${KEYS.toLocaleString('en-US')} strings + ${HASHES.toLocaleString('en-US')} hashes, median of ${RUNS} runs each`);
  const master = await RedisServer.start({ config: MASTER_CONFIG });
  try {
    await populate(master);
    const native: number[] = [];
    const ours: number[] = [];
    let rss = 0;
    for (let i = 0; i < RUNS; i++) {
      native.push(await nativeFullSync(master));
      const run = await ourFullSync(master, log);
      ours.push(run.seconds);
      rss = Math.max(rss, run.rss);
    }
    const nativeS = median(native);
    const oursS = median(ours);
    log(`  native REPLICAOF full sync: ${nativeS.toFixed(2)} s (runs: ${list(native, 2)})`);
    log(`  redis-dts full migration:   ${oursS.toFixed(2)} s (runs: ${list(ours, 2)}; ${Math.round((KEYS + HASHES) / oursS).toLocaleString('en-US')} keys/s), engine peak RSS ${mb(rss)}`);
    log(`  ratio (ours / native):      ${(oursS / nativeS).toFixed(2)}x  (goal: within 1.5x)`);
  } finally {
    await master.stop();
  }

  log(`incremental: redis-benchmark ${BURST_TEST.toUpperCase()} burst of ${BURST.toLocaleString('en-US')} commands, -P 32, median of ${RUNS} runs each`);
  const nativeRates: number[] = [];
  const ourRates: number[] = [];
  const replicaCpu: number[] = [];
  const destinationCpu: number[] = [];
  const ourEngineCpu: number[] = [];
  let rss = 0;
  for (let i = 0; i < RUNS; i++) {
    const native = await nativeApplyRate();
    nativeRates.push(native.rate);
    replicaCpu.push(native.applierCpu);
    const run = await ourApplyRate();
    ourRates.push(run.rate);
    destinationCpu.push(run.destinationCpu);
    ourEngineCpu.push(run.engineCpu);
    rss = Math.max(rss, run.rss);
  }
  const nativeRate = median(nativeRates);
  const ourRate = median(ourRates);
  log(`  native replica apply rate:  ${Math.round(nativeRate).toLocaleString('en-US')} cmd/s (runs: ${list(nativeRates, 0)})`);
  log(`  redis-dts apply rate:       ${Math.round(ourRate).toLocaleString('en-US')} cmd/s (runs: ${list(ourRates, 0)}), engine peak RSS ${mb(rss)}`);
  log(`  ratio (ours / native):      ${(ourRate / nativeRate).toFixed(2)}x  (goal: at least 0.5x)`);
  log(`  CPU s per million commands: native replica ${median(replicaCpu).toFixed(2)}; destination ${median(destinationCpu).toFixed(2)}, engine ${median(ourEngineCpu).toFixed(2)}`);
}
