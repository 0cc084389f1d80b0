/**
 * Scan mode's full migration (issue 15) against this project's PSYNC mode and a native
 * replica, on the same dataset as the sync benchmark (1M small strings + 100k small
 * hashes): the time of each, the ratios (goal: scan within 2× of PSYNC), the engine's
 * peak RSS (goal: bounded like PSYNC mode's) and the source's CPU seconds during each
 * migration (a scan works the source much harder than a fork and a snapshot).
 *
 * Scan mode is measured three ways: a full-only task on a source without key events (each key read
 * atomically: the read script or MULTI/EXEC), the same with key events on at the source (they are
 * followed during the scan, so reads need not be atomic; the keys changed meanwhile are read again
 * before it completes), and a full + incremental task timed until its incremental stage
 * (notifications subscribed first; a DB without volatile keys skips PEXPIRETIME).
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
    const evented: number[] = [];
    const eventedCpu: number[] = [];
    let eventedRss = 0;
    const control = master.client();
    // The full + incremental task turns key events on at the source; each full-only run sets what it measures.
    const keyEvents = (flags: string) => control.config('SET', 'notify-keyspace-events', flags);
    let psyncRss = 0;
    let scanRss = 0;
    let followedRss = 0;
    for (let i = 0; i < RUNS; i++) {
      native.push(await nativeFullSync(master));
      const p = await ourFullSync(master, log, 'replication');
      psync.push(p.seconds);
      psyncCpu.push(p.sourceCpu);
      psyncRss = Math.max(psyncRss, p.rss);
      await keyEvents('');
      const s = await ourFullSync(master, log, 'scan');
      scan.push(s.seconds);
      scanCpu.push(s.sourceCpu);
      scanRss = Math.max(scanRss, s.rss);
      await keyEvents('KEA');
      const e = await ourFullSync(master, log, 'scan');
      evented.push(e.seconds);
      eventedCpu.push(e.sourceCpu);
      eventedRss = Math.max(eventedRss, e.rss);
      const f = await ourFullSync(master, log, 'scan', true);
      followed.push(f.seconds);
      followedCpu.push(f.sourceCpu);
      followedRss = Math.max(followedRss, f.rss);
    }
    control.disconnect();
    const [n, p, s, f, e] = [median(native), median(psync), median(scan), median(followed), median(evented)];
    log(`  native REPLICAOF full sync:  ${n.toFixed(2)} s (runs: ${list(native, 2)})`);
    log(`  redis-dts PSYNC mode:        ${p.toFixed(2)} s (runs: ${list(psync, 2)}), engine peak RSS ${mb(psyncRss)}, source CPU ${median(psyncCpu).toFixed(2)} s`);
    log(`  redis-dts scan mode:         ${s.toFixed(2)} s (runs: ${list(scan, 2)}; ${Math.round((KEYS + HASHES) / s).toLocaleString('en-US')} keys/s), `
      + `engine peak RSS ${mb(scanRss)}, source CPU ${median(scanCpu).toFixed(2)} s`);
    log(`  full only, key events on:    ${e.toFixed(2)} s (runs: ${list(evented, 2)}; ${Math.round((KEYS + HASHES) / e).toLocaleString('en-US')} keys/s), `
      + `engine peak RSS ${mb(eventedRss)}, source CPU ${median(eventedCpu).toFixed(2)} s`);
    log(`  scan mode, full+incremental: ${f.toFixed(2)} s until incremental (runs: ${list(followed, 2)}; ${Math.round((KEYS + HASHES) / f).toLocaleString('en-US')} keys/s), `
      + `engine peak RSS ${mb(followedRss)}, source CPU ${median(followedCpu).toFixed(2)} s`);
    log(`  ratio scan / PSYNC mode:     ${(s / p).toFixed(2)}x full only (atomic reads), ${(e / p).toFixed(2)}x full only with key events, `
      + `${(f / p).toFixed(2)}x full+incremental (notifications first)  (goal: within 2x)`);
    log(`  ratio scan / native:         ${(s / n).toFixed(2)}x, ${(e / n).toFixed(2)}x, ${(f / n).toFixed(2)}x`);
  } finally {
    await master.stop();
  }
}
