/**
 * Sync benchmarks, as ratios against native Redis replication measured in the same run:
 *
 * - Full migration: 1M small strings + 100k small hashes. Native: a fresh
 *   redis-server doing REPLICAOF (diskless, no delay) until its link is up.
 *   Ours: SyncTask `full` into an empty redis-server.
 * - Incremental: a `redis-benchmark -P 32` SET burst on the source. Native: how
 *   fast an attached replica's offset catches up. Ours: how fast the task's
 *   checkpoint catches up. Reported as commands applied per second.
 * - The same two through the Replication relay write method (engine/relay/, docs/relay.md): the
 *   destination replicates through the engine; its link up, its offset caught up (BENCH_RELAY=0 skips it).
 *   Measured beside native in each round (the same load on the machine for the pair; which goes first
 *   alternates), with each round's ratio printed beside the medians', and the CPU per million commands of
 *   the engine (user + system; the bench's own polling and spawning of the burst included, some 0.01 s)
 *   and of the destination (beside the native replica's: the destination does the same work). The relay
 *   makes an empty destination load the snapshot as it arrives (repl-diskless-load on-empty-db), so the
 *   full sync is also timed for a native replica with that setting: the like-for-like figure, the
 *   engine's own cost.
 * - Engine memory: peak RSS of this process during each phase.
 *
 * Each side is measured BENCH_RUNS times (default 5), in turn so that drift in the machine's speed hits
 * both, and the medians are compared: on a 2-core machine one run of either varies by ±15 %.
 *
 * Sizes can be lowered for a quick run: BENCH_KEYS, BENCH_HASHES, BENCH_BURST. BENCH_BURST_TEST picks
 * the burst's redis-benchmark test (default set; incr and lpush show the stream's other commands).
 */
import os from 'node:os';
import { parseRedisUrl } from '../endpoint';
import { SyncTask } from '../sync/sync-task';
import type { ReadMethod } from '../sync/types';
import { RedisServer } from '../testing/redis-server';
import {
  BURST, BURST_TEST, DISKLESS_LOAD, HASHES, KEYS, MASTER_CONFIG, RssSampler, benchRuns, burst, engineCpu, info, list, mb, median, nativeApplyRate,
  nativeFullSync, populate, serverCpu, waitUntil,
} from './harness';
import { relayApplyRate, relayFullSync } from './relay';

const RELAY = process.env.BENCH_RELAY !== '0';
/** Five rounds by default here: a pair's ratio varies ±15 % from one round to the next on a 2-core machine. */
const RUNS = benchRuns(5);

/** The machine's load when a section starts: a shared 2-core machine's ratios mean little above 2. */
function loadAverage(): string {
  return ` (load average ${os.loadavg()[0]!.toFixed(1)} on ${os.availableParallelism()} cores)`;
}

/**
 * Our full migration into an empty server, by replication or by scan; with the source's CPU seconds meanwhile.
 * `follow`: a full + incremental task, timed until its full migration is written (the incremental stage begins).
 */
export async function ourFullSync(master: RedisServer, log: (l: string) => void, read: ReadMethod = 'replication', follow = false): Promise<{ seconds: number; rss: number; sourceCpu: number }> {
  const target = await RedisServer.start();
  const rss = new RssSampler();
  const m = master.client();
  try {
    const task = new SyncTask({ taskId: `benchfull${read}`, source: parseRedisUrl(master.url), target: parseRedisUrl(target.url),
      type: follow ? 'full+incremental' : 'full', read });
    const cpu0 = await serverCpu(m);
    const t0 = performance.now();
    let seconds: number;
    if (follow) {
      const running = task.run();
      let failure: unknown;
      running.catch((err: unknown) => {
        failure = err;
      });
      await waitUntil(async () => {
        if (failure) throw failure;
        return task.progress.stage === 'incremental';
      });
      seconds = (performance.now() - t0) / 1000;
      await task.stop();
      await running;
    } else {
      await task.run();
      seconds = (performance.now() - t0) / 1000;
    }
    const sourceCpu = (await serverCpu(m)) - cpu0;
    const t = target.client();
    const keys = await t.dbsize();
    t.disconnect();
    // A followed task leaves its record on the destination.
    if (keys - (follow ? 1 : 0) !== KEYS + HASHES) log(`  WARNING: destination holds ${keys} keys, expected ${KEYS + HASHES}`);
    return { seconds, rss: rss.stop(), sourceCpu };
  } finally {
    m.disconnect();
    await target.stop();
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
  log(`full migration: ${KEYS.toLocaleString('en-US')} strings + ${HASHES.toLocaleString('en-US')} hashes, median of ${RUNS} runs each${loadAverage()}`);
  const master = await RedisServer.start({ config: MASTER_CONFIG });
  try {
    await populate(master);
    const native: number[] = [];
    const nativeDiskless: number[] = [];
    const ours: number[] = [];
    const relayed: number[] = [];
    let rss = 0;
    let relayRss = 0;
    for (let i = 0; i < RUNS; i++) {
      // The relay beside native, so that the pair of each round meets the same load on the machine; which
      // of them goes first alternates, so that neither always meets what the other left (dirty pages, a warm CPU).
      const relayRound = async () => {
        // The like-for-like native beside it, the two also taking turns at going first.
        if (i % 2 === 1) nativeDiskless.push(await nativeFullSync(master, DISKLESS_LOAD));
        const relay = await relayFullSync(master, log);
        relayed.push(relay.seconds);
        relayRss = Math.max(relayRss, relay.rss);
        if (i % 2 === 0) nativeDiskless.push(await nativeFullSync(master, DISKLESS_LOAD));
      };
      if (RELAY && i % 2 === 1) await relayRound();
      native.push(await nativeFullSync(master));
      if (RELAY && i % 2 === 0) await relayRound();
      const run = await ourFullSync(master, log);
      ours.push(run.seconds);
      rss = Math.max(rss, run.rss);
    }
    const nativeS = median(native);
    const oursS = median(ours);
    log(`  native REPLICAOF full sync: ${nativeS.toFixed(2)} s (runs: ${list(native, 2)})`);
    log(`  redis-dts full migration:   ${oursS.toFixed(2)} s (runs: ${list(ours, 2)}; ${Math.round((KEYS + HASHES) / oursS).toLocaleString('en-US')} keys/s), engine peak RSS ${mb(rss)}`);
    log(`  ratio (ours / native):      ${(oursS / nativeS).toFixed(2)}x  (goal: within 1.5x)`);
    if (RELAY) {
      const relayS = median(relayed);
      const disklessS = median(nativeDiskless);
      log(`  through the relay:          ${relayS.toFixed(2)} s (runs: ${list(relayed, 2)}), engine peak RSS ${mb(relayRss)}; the destination loads the snapshot as it arrives (the relay sets repl-diskless-load on-empty-db)`);
      log(`  ratio (relay / native):     ${(relayS / nativeS).toFixed(2)}x  (goal: within 1.05x; each round's: ${list(relayed.map((r, i) => r / native[i]!), 2)})`);
      log(`  native, replica with repl-diskless-load on-empty-db: ${disklessS.toFixed(2)} s (runs: ${list(nativeDiskless, 2)})`);
      log(`  ratio (relay / that native): ${(relayS / disklessS).toFixed(2)}x  (the engine's own cost, like for like; each round's: ${list(relayed.map((r, i) => r / nativeDiskless[i]!), 2)})`);
    }
  } finally {
    await master.stop();
  }

  log(`incremental: redis-benchmark ${BURST_TEST.toUpperCase()} burst of ${BURST.toLocaleString('en-US')} commands, -P 32, median of ${RUNS} runs each${loadAverage()}`);
  const nativeRates: number[] = [];
  const ourRates: number[] = [];
  const replicaCpu: number[] = [];
  const destinationCpu: number[] = [];
  const ourEngineCpu: number[] = [];
  const relayRates: number[] = [];
  const relayCpu: number[] = [];
  const relaySysCpu: number[] = [];
  const relayDestinationCpu: number[] = [];
  let rss = 0;
  for (let i = 0; i < RUNS; i++) {
    const relayRound = async () => {
      const relay = await relayApplyRate();
      relayRates.push(relay.rate);
      relayCpu.push(relay.engineCpu);
      relaySysCpu.push(relay.engineSysCpu);
      relayDestinationCpu.push(relay.destinationCpu);
    };
    // Native and the relay in turn, which goes first alternating (as for the full sync).
    if (RELAY && i % 2 === 1) await relayRound();
    const native = await nativeApplyRate();
    nativeRates.push(native.rate);
    replicaCpu.push(native.applierCpu);
    if (RELAY && i % 2 === 0) await relayRound();
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
  if (RELAY) {
    const relayRate = median(relayRates);
    log(`  through the relay:          ${Math.round(relayRate).toLocaleString('en-US')} cmd/s (runs: ${list(relayRates, 0)})`);
    log(`  CPU s per million commands: engine ${median(relayCpu).toFixed(3)} (of which system ${median(relaySysCpu).toFixed(3)}; runs: ${list(relayCpu, 3)}), `
      + `destination ${median(relayDestinationCpu).toFixed(2)} (native replica ${median(replicaCpu).toFixed(2)})`);
    log(`  ratio (relay / native):     ${(relayRate / nativeRate).toFixed(2)}x  (goal: at least 0.95x; each round's: ${list(relayRates.map((r, i) => r / nativeRates[i]!), 2)})`);
  }
}
