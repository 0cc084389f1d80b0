/**
 * Writes of every supported command while the full migration runs and after it,
 * and a replica link killed mid-incremental, against real servers.
 */
import type Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareKeyByKey } from '../testing/compare';
import { RedisServer } from '../testing/redis-server';
import { endTask, endpointOf, runTask, startSource, waitCaughtUp, waitStage } from './testing/run-task';
import { expectDigestEqual, expectEqualExceptSeenTime, withoutSeenTime } from '../testing/expect-equal';
import { masterReplOffset } from '../testing/redis-info';
import { sleep, waitFor } from '../testing/wait';
import { DESIGN_COMMANDS, startTransactionLoad, startWorkload, WORKLOAD_COMMANDS, WORKLOAD_DBS } from './testing/workload';

async function seed(c: Redis, keys: number): Promise<void> {
  const p = c.pipeline();
  for (let i = 0; i < keys; i++) {
    if (i % 4 === 0) p.hset(`seed:h:${i}`, 'a', String(i), 'b', 'x');
    else p.set(`seed:s:${i}`, `value-${i}`);
  }
  await p.exec();
}

async function functionList(c: Redis): Promise<string> {
  return JSON.stringify(await c.call('FUNCTION', 'LIST', 'WITHCODE'));
}

describe('SyncTask: every supported command during and after the full migration', () => {
  let source: RedisServer;
  let target: RedisServer;
  let src: Redis;
  let load: Redis;
  let dst: Redis;

  beforeAll(async () => {
    [source, target] = await Promise.all([startSource(), RedisServer.start()]);
    src = source.client();
    load = source.client();
    dst = target.client();
    await seed(src, 3_000);
  });
  afterAll(async () => {
    for (const c of [src, load, dst]) c?.disconnect();
    await Promise.all([source?.stop(), target?.stop()]);
  });

  it('the destination equals the source once the writes stop', async () => {
    const workload = startWorkload(load);
    await waitFor(() => workload.rounds() >= 2, 10_000, 'the write load to start');
    // The destination holds its writes for 2 s, so the full migration surely runs while
    // the source takes many writes (and the writer waits on a destination that does not answer).
    await dst.call('CLIENT', 'PAUSE', 2000, 'WRITE');
    const run = runTask({ source: endpointOf(source), target: endpointOf(target) });
    await waitStage(run, 'full');
    const roundsAtFull = workload.rounds();
    await waitStage(run, 'incremental');
    const roundsDuringFull = workload.rounds() - roundsAtFull;
    const offsetAtIncremental = await masterReplOffset(src);
    // Keep writing in the incremental phase.
    await waitFor(() => workload.rounds() >= roundsAtFull + roundsDuringFull + 5, 20_000, 'rounds after the full migration');
    const rounds = await workload.stop();
    await sleep(300); // let the load's short-lived keys expire (their DELs travel too)
    await waitCaughtUp(run, src);

    // The stream held writes made while the snapshot was written, and more after it.
    const snapshotOffset = Number(/full resynchronization from offset (\d+)/.exec(run.logText())?.[1]);
    expect(offsetAtIncremental - snapshotOffset).toBeGreaterThan(20_000);
    expect(roundsDuringFull).toBeGreaterThanOrEqual(3);
    expect(await masterReplOffset(src)).toBeGreaterThan(offsetAtIncremental);
    expect(rounds).toBeGreaterThan(5);
    // The load really ran every command of DESIGN.md's list (and the others it claims).
    const stats = String(await src.info('commandstats'));
    const ran = new Set([...stats.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)].filter((m) => Number(m[2]) > 0).map((m) => m[1].toUpperCase()));
    const never = [...DESIGN_COMMANDS, ...WORKLOAD_COMMANDS].map((c) => c.replace(' ', '|')).filter((c) => !ran.has(c) && ![...ran].some((r) => r.startsWith(`${c}|`)));
    expect(never).toEqual([]);
    await expectEqualExceptSeenTime(src, dst, { dbs: [...WORKLOAD_DBS, 1, 3] });
    expect(await functionList(dst)).toBe(await functionList(src));
    const progress = await endTask(run);
    expect(progress.fullSyncs).toBe(1);
    expect(progress.commandsApplied).toBeGreaterThan(100);
    await expectDigestEqual(src, dst);
  });
});

describe('SyncTask: replica link killed mid-incremental', () => {
  const KILLS = 4;
  let source: RedisServer;
  let target: RedisServer;
  let src: Redis;
  let load: Redis;
  let txLoad: Redis;
  let dst: Redis;

  beforeAll(async () => {
    // A backlog that outlives the reconnect under this write load (the default 1 MB does not).
    [source, target] = await Promise.all([startSource({ config: { 'repl-backlog-size': '64mb' } }), RedisServer.start()]);
    src = source.client();
    load = source.client();
    txLoad = source.client();
    dst = target.client();
    await seed(src, 2_000);
  });
  afterAll(async () => {
    for (const c of [src, load, txLoad, dst]) c?.disconnect();
    await Promise.all([source?.stop(), target?.stop()]);
  });

  it('resumes by partial resync (no second full migration) and ends equal', async () => {
    const run = runTask({ source: endpointOf(source), target: endpointOf(target) });
    await waitStage(run, 'incremental');
    const workload = startWorkload(load);
    const transactions = startTransactionLoad(txLoad);
    for (let kill = 1; kill <= KILLS; kill++) {
      await waitFor(() => workload.rounds() >= kill * 2 && transactions.rounds() >= kill * 5, 10_000, 'some writes');
      const killed = Number(await src.call('CLIENT', 'KILL', 'TYPE', 'replica'));
      expect(killed).toBe(1);
      await waitFor(() => run.task.progress.partialResyncs >= kill, 15_000,
        () => `partial resync ${kill}; stage ${run.task.progress.stage}\n${run.logText()}`);
    }
    await sleep(300);
    await workload.stop();
    await transactions.stop();
    await sleep(300);
    await waitCaughtUp(run, src);

    await expectEqualExceptSeenTime(src, dst, { dbs: [...WORKLOAD_DBS, 1] });
    const progress = await endTask(run);
    expect(progress.fullSyncs).toBe(1);
    expect(progress.partialResyncs).toBe(KILLS);
    expect(source.log()).toMatch(/Partial resynchronization request from .* accepted/);
    expect(source.log().match(/Starting BGSAVE for SYNC/g)?.length ?? 0).toBe(1);
    await expectDigestEqual(src, dst);
  });
});

describe('SyncTask: destination connection killed mid-incremental', () => {
  let source: RedisServer;
  let target: RedisServer;
  let src: Redis;
  let load: Redis;
  let txLoad: Redis;
  let dst: Redis;

  beforeAll(async () => {
    [source, target] = await Promise.all([startSource(), RedisServer.start()]);
    src = source.client();
    load = source.client();
    txLoad = source.client();
    dst = target.client();
  });
  afterAll(async () => {
    for (const c of [src, load, txLoad, dst]) c?.disconnect();
    await Promise.all([source?.stop(), target?.stop()]);
  });

  // Commands the destination ran but whose answers the broken connection lost are sent
  // again; those that count twice (INCRBY, RPUSH, …) then leave their keys different.
  // The engine cannot know which ran, so it reports those keys (the 'suspect' event and
  // a warning): equal everywhere else, and no difference it did not report.
  it('reconnects, resends what was not answered, and ends equal except keys it reported', async () => {
    const run = runTask({ source: endpointOf(source), target: endpointOf(target) });
    const suspects = new Set<string>();
    run.task.on('suspect', (keys) => keys.forEach((k) => suspects.add(`${k.db}/${k.key}`)));
    await waitStage(run, 'incremental');
    const workload = startWorkload(load);
    const transactions = startTransactionLoad(txLoad);
    const own = Number(await dst.call('CLIENT', 'ID'));
    for (let kill = 1; kill <= 3; kill++) {
      await waitFor(() => workload.rounds() >= kill * 2 && transactions.rounds() >= kill * 5, 10_000, 'some writes');
      const clients = String(await dst.call('CLIENT', 'LIST', 'TYPE', 'normal'));
      const writer = [...clients.matchAll(/^id=(\d+) /gm)].map((m) => Number(m[1])).filter((id) => id !== own);
      expect(writer.length).toBeGreaterThanOrEqual(1);
      for (const id of writer) await dst.call('CLIENT', 'KILL', 'ID', id);
      await waitFor(() => run.logText().split('reconnected to the destination').length > kill, 10_000,
        () => `reconnect ${kill}:\n${run.logText()}`);
    }
    await workload.stop();
    await transactions.stop();
    await sleep(300);
    await waitCaughtUp(run, src);
    const diffs = (await compareKeyByKey(src, dst, [...WORKLOAD_DBS, 1]))
      .filter((d) => !(d.kind === 'stream_groups' && withoutSeenTime(d.source) === withoutSeenTime(d.target)));
    expect(diffs.filter((d) => !suspects.has(`${d.db}/${d.key}`)).slice(0, 20)).toEqual([]);
    if (diffs.length > 0) expect(run.logText()).toMatch(/may now differ from the source: .*; verify them/);
    const progress = await endTask(run);
    expect(progress.fullSyncs).toBe(1);
    expect(progress.partialResyncs).toBe(0);
    if (suspects.size === 0) await expectDigestEqual(src, dst);
  });
});
