/**
 * What every fault test does around its fault: a source and a destination
 * (real redis-server processes), a ChaosProxy between the engine and each, the
 * fault load on the source, and at the end the one verdict that matters: once
 * the load stops and the task has caught up, the destination equals the source
 * key by key (type, value digest, absolute expiry, stream groups), with no key
 * reported as suspect.
 */
import type Redis from 'ioredis';
import { expect } from 'vitest';
import { ChaosProxy } from '../../testing/chaos-proxy';
import { compareKeyByKey, type KeyDifference } from '../../testing/compare';
import { FAULT_LOAD_MAX_TTL_MS, startFaultLoad, type FaultLoad, type FaultLoadOptions } from '../../testing/fault-load';
import { RedisServer, type RedisServerOptions } from '../../testing/redis-server';
import { runTask, startSource, type RunningTask } from '../../sync/testing/run-task';
import { keyspaceDbs, masterReplOffset } from '../../testing/redis-info';
import { sleep, waitFor } from '../../testing/wait';
import type { SyncOptions } from '../../sync/types';

export interface FaultRig {
  source: RedisServer;
  target: RedisServer;
  /** Between the engine and the source (the replica link and the heartbeat). */
  sourceProxy: ChaosProxy;
  /** Between the engine and the destination (the writer). */
  targetProxy: ChaosProxy;
  src: Redis;
  dst: Redis;
  close(): Promise<void>;
}

export async function startRig(opts: { source?: RedisServerOptions; target?: RedisServerOptions } = {}): Promise<FaultRig> {
  const [source, target] = await Promise.all([startSource(opts.source), RedisServer.start(opts.target)]);
  const [sourceProxy, targetProxy] = await Promise.all([ChaosProxy.start(source.port), ChaosProxy.start(target.port)]);
  const src = quiet(source.client());
  const dst = quiet(target.client());
  return {
    source, target, sourceProxy, targetProxy, src, dst,
    close: async () => {
      src.disconnect();
      dst.disconnect();
      await Promise.all([sourceProxy.close(), targetProxy.close()]);
      await Promise.all([source.stop(), target.stop()]);
    },
  };
}

/** A task reading the source and writing the destination through the rig's proxies; suspect keys are counted. */
export function runThroughRig(rig: FaultRig, opts: Partial<SyncOptions> = {}): RunningTask & { suspects: string[] } {
  const run = runTask({
    source: { host: '127.0.0.1', port: rig.sourceProxy.port },
    target: { host: '127.0.0.1', port: rig.targetProxy.port },
    connectionRetryMs: 60_000,
    otherRetryMs: 60_000,
    ...opts,
  });
  const suspects: string[] = [];
  run.task.on('suspect', (keys) => suspects.push(...keys.map((k) => `${k.db}:${k.key}`)));
  return Object.assign(run, { suspects });
}

/** A test client outlives the faults it watches: its reconnect errors are expected, not news. */
export function quiet(client: Redis): Redis {
  client.on('error', () => undefined);
  return client;
}

export function startLoad(rig: FaultRig, opts: FaultLoadOptions = {}): { load: FaultLoad; client: Redis } {
  const client = quiet(rig.source.client());
  return { load: startFaultLoad(client, opts), client };
}

/**
 * Stops the load and lets its short expiries run out; returns the source's replication
 * offset once nothing more changes there (the destination must reach it).
 */
export async function settleLoad(rig: FaultRig, load: { load: FaultLoad; client: Redis }): Promise<number> {
  await load.load.stop();
  load.client.disconnect();
  await sleep(FAULT_LOAD_MAX_TTL_MS + 300);
  // Expired keys reach the destination as DELs once the source notices them: make it look at every key.
  for (const db of await keyspaceDbs(rig.src)) {
    await rig.src.select(db);
    const p = rig.src.pipeline();
    for (const k of await rig.src.keys('*')) p.exists(k);
    await p.exec();
  }
  await rig.src.select(0);
  return masterReplOffset(rig.src);
}

/**
 * Stops the load, lets its short expiries run out, waits until the destination has
 * acknowledged everything the source wrote, then compares key by key.
 */
export async function settleAndCompare(rig: FaultRig, run: RunningTask, load: { load: FaultLoad; client: Redis }, timeoutMs = 60_000):
Promise<KeyDifference[]> {
  const target = await settleLoad(rig, load);
  await waitFor(() => {
    if (run.finished()) throw new Error(`the task stopped (${String(run.error())}) before catching up:\n${run.logText()}`);
    return (run.task.progress.checkpoint?.offset ?? -1) >= target;
  }, timeoutMs, () => `the checkpoint (${run.task.progress.checkpoint?.offset}) to reach ${target}; stage ${run.task.progress.stage}\n${run.logText().slice(-3000)}`);
  const dbs = await keyspaceDbs(rig.src, rig.dst);
  return compareKeyByKey(rig.src, rig.dst, dbs);
}

/** The verdict: equal, nothing suspect. */
export function expectExact(diffs: KeyDifference[], run: RunningTask & { suspects: string[] }): void {
  expect(diffs.slice(0, 10), run.logText().slice(-4000)).toEqual([]);
  expect(run.suspects).toEqual([]);
  expect(run.logText()).not.toMatch(/may now differ from the source/);
}
