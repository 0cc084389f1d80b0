/**
 * What the sync benchmark's measurements share: sizes (BENCH_KEYS, BENCH_HASHES, BENCH_BURST,
 * BENCH_BURST_TEST, BENCH_RUNS), the source's configuration, the dataset, the burst, the native
 * replica's figures, medians, polling and memory sampling.
 */
import { spawn } from 'node:child_process';
import type Redis from 'ioredis';
import { RedisServer, requireBinary } from '../testing/redis-server';

export const KEYS = Number(process.env.BENCH_KEYS ?? 1_000_000);
export const HASHES = Number(process.env.BENCH_HASHES ?? 100_000);
export const BURST = Number(process.env.BENCH_BURST ?? 1_000_000);
export const BURST_TEST = process.env.BENCH_BURST_TEST ?? 'set';
/** Rounds of each measurement: BENCH_RUNS, else the bench's own default. */
export function benchRuns(fallback: number): number {
  return Math.max(1, Number(process.env.BENCH_RUNS ?? fallback));
}
export const RUNS = benchRuns(3);

export const MASTER_CONFIG = { 'repl-diskless-sync': 'yes', 'repl-diskless-sync-delay': 0, 'repl-backlog-size': '512mb',
  'client-output-buffer-limit': 'replica 0 0 0' };

export class RssSampler {
  peak = 0;
  private timer = setInterval(() => {
    this.peak = Math.max(this.peak, process.memoryUsage.rss());
  }, 50);
  stop(): number {
    clearInterval(this.timer);
    return Math.max(this.peak, process.memoryUsage.rss());
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

export async function info(client: Redis, section: string, field: string): Promise<string | undefined> {
  const text = await client.info(section);
  return new RegExp(`^${field}:(.*)$`, 'm').exec(text)?.[1]?.trim();
}

export async function waitUntil(probe: () => Promise<boolean>, timeoutMs = 600_000): Promise<void> {
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

/**
 * A replica loading the snapshot as it arrives instead of from a copy on its disk: what the relay makes
 * of an empty destination (engine/relay/destination-settings.ts), so the like-for-like native figure.
 */
export const DISKLESS_LOAD = { 'repl-diskless-load': 'on-empty-db' };

/** Seconds for a fresh replica (with `config`, else the server's defaults) to be fully synchronized with `master`. */
export async function nativeFullSync(master: RedisServer, config?: Record<string, string>): Promise<number> {
  const replica = await RedisServer.start(config ? { config } : {});
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

/** Runs the burst in another process while this one keeps applying (async: the engine must not be blocked). */
export function burst(port: number): Promise<void> {
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
export function engineCpu(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** Commands per second a native replica applies during a burst; the replica's CPU seconds per million commands. */
export async function nativeApplyRate(): Promise<{ rate: number; applierCpu: number }> {
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
