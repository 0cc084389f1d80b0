/**
 * Scan mode's full migration (issue 15) against this project's PSYNC mode and a native
 * replica, on the same dataset as the sync benchmark (1M small strings + 100k small
 * hashes): the time of each, the ratios (goal: scan within 2× of PSYNC), the engine's
 * peak RSS (goal: bounded like PSYNC mode's) and the source's CPU seconds during each
 * migration (a scan works the source much harder than a fork and a snapshot).
 *
 * Scan mode is measured twice: a full-only task (each key read atomically: the read script or
 * MULTI/EXEC) and a full + incremental task timed until its incremental stage (notifications
 * subscribed first, so reads need not be atomic and a DB without volatile keys skips PEXPIRETIME).
 *
 * Each is measured BENCH_RUNS times (default 3), in turn, and the medians compared.
 * BENCH_KEYS and BENCH_HASHES lower the sizes for a quick run.
 */
import { RedisServer } from '../testing/redis-server';
import { HASHES, KEYS, list, MASTER_CONFIG, mb, median, nativeFullSync, populate, RUNS } from './harness';
import { ourFullSync } from './sync';

export async function run(log: (line: string) => void): Promise<void> {
  log(`full migration by scan: ${KEYS.toLocaleString('en-US')} strings + ${HASHES.toLocaleString('en-US')} hashes, median of ${RUNS} runs each`);
  const master = await RedisServer.start({ config: MASTER_CONFIG });
  try {
    await populate(master);
    const native: number[] = [];
    const psync: number[] = [];
    const scan: number[] = [];
    const followed: number[] = [];
    const psyncCpu: number[] = [];
    const scanCpu: number[] = [];
    const followedCpu: number[] = [];
    let psyncRss = 0;
    let scanRss = 0;
    let followedRss = 0;
    for (let i = 0; i < RUNS; i++) {
      native.push(await nativeFullSync(master));
      const p = await ourFullSync(master, log, 'replication');
      psync.push(p.seconds);
      psyncCpu.push(p.sourceCpu);
      psyncRss = Math.max(psyncRss, p.rss);
      const s = await ourFullSync(master, log, 'scan');
      scan.push(s.seconds);
      scanCpu.push(s.sourceCpu);
      scanRss = Math.max(scanRss, s.rss);
      const f = await ourFullSync(master, log, 'scan', true);
      followed.push(f.seconds);
      followedCpu.push(f.sourceCpu);
      followedRss = Math.max(followedRss, f.rss);
    }
    const [n, p, s, f] = [median(native), median(psync), median(scan), median(followed)];
    log(`  native REPLICAOF full sync:  ${n.toFixed(2)} s (runs: ${list(native, 2)})`);
    log(`  redis-dts PSYNC mode:        ${p.toFixed(2)} s (runs: ${list(psync, 2)}), engine peak RSS ${mb(psyncRss)}, source CPU ${median(psyncCpu).toFixed(2)} s`);
    log(`  redis-dts scan mode:         ${s.toFixed(2)} s (runs: ${list(scan, 2)}; ${Math.round((KEYS + HASHES) / s).toLocaleString('en-US')} keys/s), `
      + `engine peak RSS ${mb(scanRss)}, source CPU ${median(scanCpu).toFixed(2)} s`);
    log(`  scan mode, full+incremental: ${f.toFixed(2)} s until incremental (runs: ${list(followed, 2)}; ${Math.round((KEYS + HASHES) / f).toLocaleString('en-US')} keys/s), `
      + `engine peak RSS ${mb(followedRss)}, source CPU ${median(followedCpu).toFixed(2)} s`);
    log(`  ratio scan / PSYNC mode:     ${(s / p).toFixed(2)}x full only (atomic reads), ${(f / p).toFixed(2)}x full+incremental (notifications first)  (goal: within 2x)`);
    log(`  ratio scan / native:         ${(s / n).toFixed(2)}x, ${(f / n).toFixed(2)}x`);
  } finally {
    await master.stop();
  }
}
