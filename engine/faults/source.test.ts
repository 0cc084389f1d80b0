/**
 * Faults between the source and the engine, under a non-idempotent write load:
 * connections dropped again and again, a long silent partition, a drop during the
 * full migration (a second full migration must converge: no orphans, no stale
 * values), a backlog overrun (the same, via +FULLRESYNC), and the source shut down
 * and started again. After each, the destination equals the source key by key.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { waitStage, endTask } from '../sync/testing/run-task';
import { sleep, waitFor } from '../testing/wait';
import { expectExact, quiet, runThroughRig, settleAndCompare, startLoad, startRig, type FaultRig } from './testing/rig';

let rig: FaultRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

/** Keys of every family of the fault load, so the snapshot is not trivial. */
async function seed(r: FaultRig, n: number): Promise<void> {
  const p = r.src.pipeline();
  for (let i = 0; i < n; i++) {
    p.set(`seed:s:${i}`, `v${i}`);
    if (i % 10 === 0) p.rpush(`seed:l:${i}`, 'a', 'b', String(i));
    if (i % 10 === 1) p.hset(`seed:h:${i}`, 'f', String(i), 'g', 'x');
    if (i % 10 === 2) p.zadd(`seed:z:${i}`, i, 'm');
  }
  await p.exec();
}

describe('faults between the source and the engine', () => {
  it('every connection dropped again and again during the incremental: resumed by partial resync, equal, nothing suspect', async () => {
    rig = await startRig();
    await seed(rig, 2000);
    const load = startLoad(rig, { seed: 11 });
    const run = runThroughRig(rig);
    await waitStage(run, 'incremental');
    for (let i = 0; i < 6; i++) {
      await sleep(300);
      const resumed = run.task.progress.partialResyncs;
      rig.sourceProxy.cut();
      rig.targetProxy.cut();
      // The next cut once this one was healed (on a loaded machine two cuts could otherwise meet one reconnection).
      if (i < 3) await waitFor(() => run.task.progress.partialResyncs > resumed, 20_000, `the partial resync after cut ${i + 1}`);
    }
    const diffs = await settleAndCompare(rig, run, load);
    expectExact(diffs, run);
    const progress = await endTask(run);
    expect(progress.fullSyncs).toBe(1);
    expect(progress.partialResyncs).toBeGreaterThanOrEqual(3);
  });

  it('a 20 s silent partition: the link is declared dead, reconnects once it heals, and ends equal', async () => {
    rig = await startRig({ source: { config: { 'repl-backlog-size': '64mb' } } });
    await seed(rig, 2000);
    const load = startLoad(rig, { seed: 12 });
    const run = runThroughRig(rig, { hooks: { linkTimeoutMs: 4_000 } });
    await waitStage(run, 'incremental');
    rig.sourceProxy.partition();
    await waitFor(() => run.task.progress.stage === 'retrying', 15_000, () => `the task to notice the partition:\n${run.logText()}`);
    await sleep(20_000 - 4_000);
    rig.sourceProxy.heal();
    rig.sourceProxy.cut(); // connections opened during the partition hang in their handshake
    await waitFor(() => run.task.progress.stage === 'incremental' && run.task.progress.partialResyncs >= 1, 30_000,
      () => `a partial resync after the partition:\n${run.logText()}`);
    const diffs = await settleAndCompare(rig, run, load);
    expectExact(diffs, run);
    expect((await endTask(run)).fullSyncs).toBe(1);
  }, 90_000);

  it('a connection dropped during the full migration: the second full migration replaces the first, no orphans, no stale values', async () => {
    rig = await startRig();
    await seed(rig, 60_000);
    const load = startLoad(rig, { seed: 13 });
    // Deletes during the first snapshot, then re-creations by INCR/RPUSH: orphans would show.
    const run = runThroughRig(rig);
    await waitFor(() => run.task.progress.stage === 'full' && run.task.progress.keysDone > 10_000, 30_000, 'the first snapshot under way');
    rig.sourceProxy.cut();
    await waitFor(() => run.task.progress.fullSyncs >= 2, 30_000, () => `a second full migration:\n${run.logText()}`);
    await waitStage(run, 'incremental', 60_000);
    const diffs = await settleAndCompare(rig, run, load);
    expectExact(diffs, run);
    expect(run.logText()).toMatch(/before the full migration runs again: emptied DB 0/);
    await endTask(run);
  }, 120_000);

  it('a backlog overrun during a cut (backlog 16 kb): the new full migration converges; keys deleted during the cut are gone', async () => {
    rig = await startRig({ source: { config: { 'repl-backlog-size': '16kb' } } });
    await seed(rig, 5000);
    const load = startLoad(rig, { seed: 14 });
    const run = runThroughRig(rig);
    await waitStage(run, 'incremental');
    await sleep(500);
    rig.sourceProxy.refuse();
    rig.sourceProxy.cut();
    // Far more than 16 kb of writes, deletes among them, while the engine cannot reach the source.
    const before = load.load.commands();
    const deletesBefore = load.load.deletes();
    await waitFor(() => load.load.commands() - before > 5_000, 20_000, 'writes during the cut');
    const deletedDuringCut = load.load.deletes() - deletesBefore;
    rig.sourceProxy.heal();
    await waitFor(() => run.task.progress.fullSyncs >= 2, 30_000, () => `a full resynchronization:\n${run.logText()}`);
    const diffs = await settleAndCompare(rig, run, load);
    expectExact(diffs, run);
    expect(deletedDuringCut).toBeGreaterThan(100);
    expect(run.logText()).toMatch(/before the full migration runs again: emptied DB 0/);
    await endTask(run);
  }, 90_000);

  it('the source shut down (SHUTDOWN SAVE) and started again: partial resync with the same replication id, equal', async () => {
    rig = await startRig({ source: { config: { 'repl-backlog-size': '64mb' } } });
    await seed(rig, 3000);
    const load = startLoad(rig, { seed: 15 });
    const run = runThroughRig(rig);
    await waitStage(run, 'incremental');
    await sleep(500);
    await load.load.stop();
    load.client.disconnect();
    await rig.src.call('SHUTDOWN', 'SAVE').catch(() => undefined);
    await rig.source.whenExited();
    await rig.source.restart();
    rig.src.disconnect();
    rig.src = quiet(rig.source.client());
    const again = startLoad(rig, { seed: 16 });
    await waitFor(() => run.task.progress.partialResyncs >= 1 && run.task.progress.stage === 'incremental', 30_000,
      () => `a partial resync after the restart:\n${run.logText()}`);
    const diffs = await settleAndCompare(rig, run, again);
    expectExact(diffs, run);
    expect((await endTask(run)).fullSyncs).toBe(1);
  }, 60_000);
});
