/**
 * Where a CLI task spools the replication stream (issue 16, row 14): not in a shared
 * /tmp/redis-dts-spool/<task id> anyone can predict and create first, but in a folder mkdtemp made
 * for this run, 0700, removed when the run ends. Run as the real CLI process, with TMPDIR pointed
 * at a folder of this test's own so the folder the run made can be seen.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisServer } from '../testing/redis-server';
import { startSource } from '../sync/testing/run-task';
import { waitFor } from '../testing/wait';
import { jsonEvents, spawnCli } from './testing/run-cli';
import { ByteSpool } from '../replica/spool';

const TASK = 'spool-probe';

let source: RedisServer;
let target: RedisServer;
let tmp: string;

beforeAll(async () => {
  [source, target] = await Promise.all([startSource(), RedisServer.start()]);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dts-cli-tmpdir-'));
});
afterAll(async () => {
  await Promise.all([source?.stop(), target?.stop()]);
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

/** The spool folders in the test's TMPDIR. */
const spoolFolders = () => fs.readdirSync(tmp, { withFileTypes: true })
  .filter((d) => d.isDirectory() && d.name.startsWith('redis-dts-spool')).map((d) => d.name);

/** Runs the task until it reads the stream, and returns the spool folder it made (checked while it runs). */
async function spoolFolderOfARun(): Promise<string> {
  const cli = spawnCli(['--source', source.url, '--target', target.url, '--task-id', TASK, '--conflict', 'overwrite', '--json'],
    { direct: true, env: { ...process.env, TMPDIR: tmp } });
  try {
    await waitFor(() => jsonEvents(cli.stdout()).some((e) => e.type === 'stage' && e.stage === 'incremental'), 30_000,
      () => `the incremental stage:\n${cli.stderr()}`);
    const folders = spoolFolders();
    expect(folders).toHaveLength(1);
    const [name] = folders as [string];
    expect(name).toMatch(/^redis-dts-spool-[A-Za-z0-9]{6}$/);
    expect(name).not.toContain(TASK);
    expect(fs.statSync(path.join(tmp, name)).mode & 0o777).toBe(0o700);
    cli.child.kill('SIGTERM');
    const r = await cli.exited;
    expect(r.code).toBe(0);
    // Removed with the run.
    expect(fs.existsSync(path.join(tmp, name))).toBe(false);
    return name;
  } finally {
    cli.child.kill('SIGKILL');
  }
}

describe('a CLI task spools in a private folder', () => {
  it('made by mkdtemp (0700), another name for each run of the same task, removed at the end', async () => {
    await source.client().set('k', 'v');
    const first = await spoolFolderOfARun();
    const second = await spoolFolderOfARun();
    expect(second).not.toBe(first);
    expect(fs.existsSync(path.join(tmp, 'redis-dts-spool'))).toBe(false);
  });

  it('two runs of one --checkpoint-file take turns: the lock is FILE.lock (the spool folders differ)', async () => {
    const file = path.join(tmp, 'task.json');
    const args = ['--source', source.url, '--target', target.url, '--checkpoint-file', file, '--conflict', 'overwrite', '--json'];
    const env = { ...process.env, TMPDIR: tmp };
    const first = spawnCli(args, { direct: true, env });
    let second: ReturnType<typeof spawnCli> | undefined;
    const incremental = (p: ReturnType<typeof spawnCli>) => jsonEvents(p.stdout()).some((e) => e.type === 'stage' && e.stage === 'incremental');
    try {
      await waitFor(() => incremental(first), 30_000, () => `the first run's incremental stage:\n${first.stderr()}`);
      expect(fs.readFileSync(`${file}.lock`, 'utf8')).toBe(String(first.child.pid));
      second = spawnCli(args, { direct: true, env });
      // The second run made its own spool folder and waits on the lock the first holds.
      await waitFor(() => spoolFolders().length === 2, 30_000, 'the second run\'s spool folder');
      expect(incremental(second)).toBe(false);
      first.child.kill('SIGTERM');
      expect((await first.exited).code).toBe(0);
      const s = second;
      await waitFor(() => incremental(s), 30_000, () => `the second run's incremental stage:\n${s.stderr()}`);
      expect(fs.readFileSync(`${file}.lock`, 'utf8')).toBe(String(s.child.pid));
      s.child.kill('SIGTERM');
      expect((await s.exited).code).toBe(0);
      expect(fs.existsSync(`${file}.lock`)).toBe(false);
    } finally {
      first.child.kill('SIGKILL');
      second?.child.kill('SIGKILL');
    }
  });

  it('the folders and files a spool makes are its user\'s alone (0700, 0600)', async () => {
    const dir = path.join(tmp, 'given', 'spool', 'task');
    const spool = new ByteSpool({ dir, memoryBytes: 16, maxDiskBytes: 1 << 20, label: 'probe' });
    try {
      spool.push(Buffer.alloc(4096, 1));
      const files = fs.readdirSync(dir);
      expect(files.length).toBeGreaterThan(0);
      for (const d of [path.join(tmp, 'given'), path.join(tmp, 'given', 'spool'), dir]) expect(fs.statSync(d).mode & 0o777).toBe(0o700);
      for (const f of files) expect(fs.statSync(path.join(dir, f)).mode & 0o777).toBe(0o600);
    } finally {
      spool.close();
    }
  });
});
