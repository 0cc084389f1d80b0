/**
 * `npm run bench -- relay`: the Replication relay write method (engine/relay/) against a native
 * replica, in the same run: a fresh destination's full sync through the engine vs `REPLICAOF` the
 * source directly, and the stream's apply rate during a redis-benchmark burst. Same dataset, burst
 * and sizes as the sync benchmark (BENCH_KEYS, BENCH_HASHES, BENCH_BURST, BENCH_BURST_TEST, BENCH_RUNS).
 */
import { parseRedisUrl } from '../endpoint';
import { RelayTask } from '../relay/relay-task';
import { RedisServer } from '../testing/redis-server';
import {
  BURST, BURST_TEST, HASHES, KEYS, MASTER_CONFIG, RUNS, RssSampler, burst, info, list, mb, median, nativeApplyRate, nativeFullSync,
  populate, waitUntil,
} from './sync';

interface RelayRun {
  task: RelayTask;
  running: Promise<void>;
  target: RedisServer;
}

/** A relayed task from `master` into a fresh destination; resolves once the destination's link is up, with the seconds it took. */
async function startRelay(master: RedisServer): Promise<{ run: RelayRun; seconds: number }> {
  const target = await RedisServer.start();
  const t = target.client();
  const task = new RelayTask({ taskId: 'benchrelay', source: parseRedisUrl(master.url), target: parseRedisUrl(target.url), writeMethod: 'relay' });
  const t0 = performance.now();
  const running = task.run();
  running.catch(() => undefined);
  await waitUntil(async () => (await info(t, 'replication', 'master_link_status')) === 'up');
  const seconds = (performance.now() - t0) / 1000;
  t.disconnect();
  return { run: { task, running, target }, seconds };
}

async function stopRelay(r: RelayRun): Promise<void> {
  await r.task.stop();
  await r.running;
  await r.target.stop();
}

function engineCpu(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

async function relayApplyRate(): Promise<{ rate: number; engineCpu: number; rss: number }> {
  const master = await RedisServer.start({ config: MASTER_CONFIG });
  const m = master.client();
  const { run } = await startRelay(master);
  const d = run.target.client();
  try {
    const rss = new RssSampler();
    const cpu0 = engineCpu();
    const t0 = performance.now();
    await burst(master.port);
    const target = Number(await info(m, 'replication', 'master_repl_offset'));
    await waitUntil(async () => Number(await info(d, 'replication', 'slave_repl_offset')) >= target);
    const rate = BURST / ((performance.now() - t0) / 1000);
    return { rate, engineCpu: (engineCpu() - cpu0) / (BURST / 1e6), rss: rss.stop() };
  } finally {
    m.disconnect();
    d.disconnect();
    await stopRelay(run);
    await master.stop();
  }
}

export async function run(log: (line: string) => void): Promise<void> {
  log(`relay full sync: ${KEYS.toLocaleString('en-US')} strings + ${HASHES.toLocaleString('en-US')} hashes, median of ${RUNS} runs each`);
  const master = await RedisServer.start({ config: MASTER_CONFIG });
  try {
    await populate(master);
    const native: number[] = [];
    const relayed: number[] = [];
    let rss = 0;
    for (let i = 0; i < RUNS; i++) {
      native.push(await nativeFullSync(master));
      const sampler = new RssSampler();
      const { run, seconds } = await startRelay(master);
      relayed.push(seconds);
      rss = Math.max(rss, sampler.stop());
      const t = run.target.client();
      const keys = await t.dbsize();
      t.disconnect();
      if (keys !== KEYS + HASHES) log(`  WARNING: destination holds ${keys} keys, expected ${KEYS + HASHES}`);
      await stopRelay(run);
    }
    const nativeS = median(native);
    const relayS = median(relayed);
    log(`  native REPLICAOF full sync:  ${nativeS.toFixed(2)} s (runs: ${list(native, 2)})`);
    log(`  through the relay:           ${relayS.toFixed(2)} s (runs: ${list(relayed, 2)}), engine peak RSS ${mb(rss)}`);
    log(`  ratio (relay / native):      ${(relayS / nativeS).toFixed(2)}x  (goal: within 1.1x)`);
  } finally {
    await master.stop();
  }

  log(`relay incremental: redis-benchmark ${BURST_TEST.toUpperCase()} burst of ${BURST.toLocaleString('en-US')} commands, -P 32, median of ${RUNS} runs each`);
  const nativeRates: number[] = [];
  const relayRates: number[] = [];
  const cpu: number[] = [];
  let rss = 0;
  for (let i = 0; i < RUNS; i++) {
    nativeRates.push((await nativeApplyRate()).rate);
    const r = await relayApplyRate();
    relayRates.push(r.rate);
    cpu.push(r.engineCpu);
    rss = Math.max(rss, r.rss);
  }
  const nativeRate = median(nativeRates);
  const relayRate = median(relayRates);
  log(`  native replica apply rate:   ${Math.round(nativeRate).toLocaleString('en-US')} cmd/s (runs: ${list(nativeRates, 0)})`);
  log(`  through the relay:           ${Math.round(relayRate).toLocaleString('en-US')} cmd/s (runs: ${list(relayRates, 0)}), engine peak RSS ${mb(rss)}`);
  log(`  ratio (relay / native):      ${(relayRate / nativeRate).toFixed(2)}x  (goal: at least 0.9x)`);
  log(`  engine CPU s per million commands relayed: ${median(cpu).toFixed(2)}`);
}
