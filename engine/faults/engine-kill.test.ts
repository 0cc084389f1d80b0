/**
 * The engine killed with `kill -9` at 20 moments of one run — five during the
 * full migration, fifteen during the incremental synchronization — under a load
 * of commands that count twice when applied twice (INCR, INCRBYFLOAT, APPEND,
 * LPUSH/RPUSH, XADD *, HINCRBY, SETRANGE, ZINCRBY) and deletes. Each time the CLI
 * is started again with the same --checkpoint-file. At the end the destination
 * equals the source key by key, and no run reported a key that may differ.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { prng } from '../testing/prng';
import { compareKeyByKey } from '../testing/compare';
import { jsonEvents, spawnCli, type CliProcess } from '../cli/testing/run-cli';
import { keyspaceDbs } from '../testing/redis-info';
import { tempDir } from '../testing/temp-dir';
import { sleep, waitFor } from '../testing/wait';
import { settleLoad, startLoad, startRig, type FaultRig } from './testing/rig';

let rig: FaultRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

function stageSeen(p: CliProcess, stage: string): boolean {
  return p.stdout().includes(`"type":"stage","stage":"${stage}"`);
}

describe('the engine killed -9 at 20 moments', () => {
  it('each start continues from the destination\'s record: equal key by key, nothing applied twice or lost', async () => {
    rig = await startRig({ source: { config: { 'repl-backlog-size': '64mb' } } });
    const seedKeys = rig.src.pipeline();
    for (let i = 0; i < 40_000; i++) seedKeys.set(`seed:${i}`, `v${i}`);
    await seedKeys.exec();
    const load = startLoad(rig, { seed: 31, dbs: [0, 1] });
    const dir = tempDir('dts-kill-');
    const file = path.join(dir, 'task.checkpoint');
    const args = ['--source', `redis://127.0.0.1:${rig.source.port}`, '--target', `redis://127.0.0.1:${rig.target.port}`,
      '--checkpoint-file', file, '--json'];
    const random = prng(2026);
    const outputs: string[] = [];
    let killedInFull = 0;
    for (let i = 0; i < 20; i++) {
      const p = spawnCli(args, { direct: true });
      const phase = i < 5 ? 'full' : 'incremental';
      await waitFor(() => stageSeen(p, phase), 30_000, () => `run ${i} to reach ${phase}:\n${p.stderr()}\n${p.stdout().slice(-2000)}`);
      await sleep(Math.floor(random() * (phase === 'full' ? 150 : 1500)));
      if (stageSeen(p, 'full') && !stageSeen(p, 'incremental')) killedInFull++;
      process.kill(p.child.pid!, 'SIGKILL');
      const r = await p.exited;
      expect(r.signal).toBe('SIGKILL');
      outputs.push(r.stdout);
    }
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).taskId).toMatch(/^cli/);

    // The last run: catch up with the source once the load stops, compare, end cleanly.
    const last = spawnCli(args, { direct: true });
    await waitFor(() => stageSeen(last, 'incremental'), 30_000, () => `the last run to resume:\n${last.stderr()}`);
    const target = await settleLoad(rig, load);
    await waitFor(() => jsonEvents(last.stdout()).some((e) => e.type === 'progress'
      && ((e.checkpoint as { offset: number } | null)?.offset ?? -1) >= target), 30_000, 'the last run to catch up');
    const diffs = await compareKeyByKey(rig.src, rig.dst, await keyspaceDbs(rig.src, rig.dst));
    last.child.kill('SIGTERM');
    const end = await last.exited;
    outputs.push(end.stdout);
    const all = outputs.join('\n');

    expect(diffs.slice(0, 10)).toEqual([]);
    expect(end.code).toBe(0);
    expect(all).not.toMatch(/may now differ from the source/);
    expect(killedInFull).toBeGreaterThanOrEqual(3);
    // Killed during a full migration, a run starts it again after clearing what it wrote;
    // killed during the stream, it continues where the destination's record says.
    expect(all).toMatch(/a full migration of this task was cut short: it runs again from the start, after clearing what it had written/);
    expect((all.match(/resumed by partial resync/g) ?? []).length).toBeGreaterThanOrEqual(10);
    expect(load.load.deletes()).toBeGreaterThan(100);
    fs.rmSync(dir, { recursive: true, force: true });
  }, 240_000);
});
