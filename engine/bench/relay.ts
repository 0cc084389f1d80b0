/**
 * The Replication relay write method's figures for the sync benchmark (engine/relay/): a fresh
 * destination's full sync through the engine, and the stream's apply rate during the burst, each
 * measured the way the native replica's are (the destination's link up; its offset caught up).
 */
import { parseRedisUrl } from '../endpoint';
import { RelayTask } from '../relay/relay-task';
import { RedisServer } from '../testing/redis-server';
import { BURST, HASHES, KEYS, MASTER_CONFIG, RssSampler, burst, engineCpu, info, serverCpu, waitUntil } from './harness';

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
  let failure: unknown;
  running.catch((err: unknown) => {
    failure = err;
  });
  await waitUntil(async () => {
    if (failure) throw failure;
    return (await info(t, 'replication', 'master_link_status')) === 'up';
  });
  const seconds = (performance.now() - t0) / 1000;
  t.disconnect();
  return { run: { task, running, target }, seconds };
}

async function stopRelay(r: RelayRun): Promise<void> {
  await r.task.stop();
  await r.running.catch(() => undefined);
  await r.target.stop();
}

/** Seconds for a fresh destination to be in sync with `master` through the relay. */
export async function relayFullSync(master: RedisServer, log: (l: string) => void): Promise<{ seconds: number; rss: number }> {
  const sampler = new RssSampler();
  const { run, seconds } = await startRelay(master);
  const rss = sampler.stop();
  try {
    const t = run.target.client();
    const keys = await t.dbsize();
    t.disconnect();
    if (keys !== KEYS + HASHES) log(`  WARNING: destination holds ${keys} keys through the relay, expected ${KEYS + HASHES}`);
    return { seconds, rss };
  } finally {
    await stopRelay(run);
  }
}

/**
 * Commands per second a destination applies through the relay during a burst; per million commands, the
 * engine's CPU seconds (user and system: the relay's second loopback hop is mostly the kernel's) and the
 * destination's (to set beside the native replica's: the same work, or the relay's chunks cost it more).
 */
export async function relayApplyRate(): Promise<{ rate: number; engineCpu: number; engineSysCpu: number; destinationCpu: number; rss: number }> {
  const master = await RedisServer.start({ config: MASTER_CONFIG });
  const m = master.client();
  const { run } = await startRelay(master);
  const d = run.target.client();
  try {
    const rss = new RssSampler();
    const cpu0 = engineCpu();
    const usage0 = process.cpuUsage();
    const destination0 = await serverCpu(d);
    const t0 = performance.now();
    await burst(master.port);
    const target = Number(await info(m, 'replication', 'master_repl_offset'));
    await waitUntil(async () => Number(await info(d, 'replication', 'slave_repl_offset')) >= target);
    const rate = BURST / ((performance.now() - t0) / 1000);
    const perMillion = BURST / 1e6;
    return {
      rate, engineCpu: (engineCpu() - cpu0) / perMillion, engineSysCpu: process.cpuUsage(usage0).system / 1e6 / perMillion,
      destinationCpu: ((await serverCpu(d)) - destination0) / perMillion, rss: rss.stop(),
    };
  } finally {
    m.disconnect();
    d.disconnect();
    await stopRelay(run);
    await master.stop();
  }
}
