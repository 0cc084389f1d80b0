/**
 * Faults between the engine and the destination, under a non-idempotent write
 * load: connections reset while units are unanswered, the destination killed and
 * started again from its AOF, a destination that comes back older than what it
 * acknowledged (restarted from an earlier snapshot of its own), and a silent
 * partition. After each, the destination equals the source key by key and no key
 * is reported as suspect: the stream is applied exactly once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { endTask, waitStage } from '../sync/testing/run-task';
import { sleep, waitFor } from '../testing/wait';
import { expectExact, quiet, runThroughRig, settleAndCompare, startLoad, startRig, type FaultRig } from './testing/rig';

let rig: FaultRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

/** The destination's connections other than the test's own. */
async function killEngineConnections(r: FaultRig): Promise<number> {
  const own = Number(await r.dst.call('CLIENT', 'ID'));
  const list = String(await r.dst.call('CLIENT', 'LIST', 'TYPE', 'normal'));
  let n = 0;
  for (const m of list.matchAll(/^id=(\d+) /gm)) {
    if (Number(m[1]) === own) continue;
    n += Number(await r.dst.call('CLIENT', 'KILL', 'ID', m[1]));
  }
  return n;
}

describe('faults between the engine and the destination', () => {
  it('connections reset again and again while units are unanswered: each applied once, equal, nothing suspect', async () => {
    rig = await startRig();
    const load = startLoad(rig, { seed: 21 });
    const run = runThroughRig(rig);
    await waitStage(run, 'incremental');
    let kills = 0;
    for (let i = 0; i < 10; i++) {
      await sleep(150 + i * 20);
      kills += await killEngineConnections(rig);
    }
    const diffs = await settleAndCompare(rig, run, load);
    expectExact(diffs, run);
    expect(kills).toBeGreaterThanOrEqual(8);
    expect(run.logText()).toMatch(/reconnected to the destination/);
    await endTask(run);
  });

  it('the destination killed (-9) mid-burst and started again from its AOF: resumed where its record says, equal', async () => {
    rig = await startRig({ target: { config: { appendonly: 'yes', appendfsync: 'always' } } });
    const load = startLoad(rig, { seed: 22 });
    const run = runThroughRig(rig);
    await waitStage(run, 'incremental');
    for (let i = 0; i < 2; i++) {
      await sleep(700);
      await rig.target.kill();
      await sleep(300);
      await rig.target.restart();
      rig.dst.disconnect();
      rig.dst = quiet(rig.target.client());
    }
    const diffs = await settleAndCompare(rig, run, load);
    expectExact(diffs, run);
    expect((await endTask(run)).fullSyncs).toBe(1);
  });

  it('a destination that comes back older than it acknowledged (an earlier snapshot of its own): the stream is read again from its record', async () => {
    rig = await startRig({ source: { config: { 'repl-backlog-size': '64mb' } } });
    const load = startLoad(rig, { seed: 23 });
    const run = runThroughRig(rig);
    await waitStage(run, 'incremental');
    await sleep(500);
    await rig.dst.call('SAVE');
    // More writes acknowledged after that snapshot, then the destination restarts from it.
    const acked = run.task.progress.checkpoint?.offset ?? 0;
    await waitFor(() => (run.task.progress.checkpoint?.offset ?? 0) > acked + 20_000, 20_000, 'writes after the snapshot');
    await rig.target.kill();
    await rig.target.restart();
    rig.dst.disconnect();
    rig.dst = quiet(rig.target.client());
    await waitFor(() => /lost writes it had acknowledged/.test(run.logText()), 20_000, () => `the loss to be noticed:\n${run.logText()}`);
    const diffs = await settleAndCompare(rig, run, load);
    expectExact(diffs, run);
    expect(run.logText()).toMatch(/the destination holds the stream up to offset \d+: reading it again from there/);
    expect((await endTask(run)).fullSyncs).toBe(1);
  });

  it('a silent partition to the destination: its connection is declared dead, reopened once it heals, equal', async () => {
    rig = await startRig();
    const load = startLoad(rig, { seed: 24 });
    const run = runThroughRig(rig, { hooks: { replyTimeoutMs: 2_000 } });
    await waitStage(run, 'incremental');
    await sleep(300);
    rig.targetProxy.partition();
    await waitFor(() => /has not answered for 2 s/.test(run.logText()), 15_000, () => `the silence to be noticed:\n${run.logText()}`);
    await sleep(3_000);
    rig.targetProxy.heal();
    rig.targetProxy.cut(); // connections opened during the partition
    const diffs = await settleAndCompare(rig, run, load);
    expectExact(diffs, run);
    await endTask(run);
  });
});
