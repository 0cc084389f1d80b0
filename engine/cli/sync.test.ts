/**
 * The sync CLI's contract (issue 5): exit codes, the ending on SIGTERM, and failures
 * at start reported on one line — run as a child process against real servers.
 */
import type Redis from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { dataKeyCount } from '../testing/compare';
import { freePort, RedisServer } from '../testing/redis-server';
import { errorLine, errorLines, jsonEvents, runCli, spawnCli } from './testing/run-cli';
import { endTask, endpointOf, runTask, startSource, waitCaughtUp, waitStage } from '../sync/testing/run-task';
import { expectDigestEqual } from '../testing/expect-equal';
import { masterReplOffset } from '../testing/redis-info';
import { waitFor } from '../testing/wait';

describe('npm run sync (engine/cli/sync.ts)', () => {
  let source: RedisServer;
  let target: RedisServer;
  let src: Redis;
  let dst: Redis;

  beforeAll(async () => {
    [source, target] = await Promise.all([startSource({ password: 's3cret' }), RedisServer.start()]);
    src = source.client();
    dst = target.client();
  });
  afterAll(async () => {
    src?.disconnect();
    dst?.disconnect();
    await Promise.all([source?.stop(), target?.stop()]);
  });
  beforeEach(async () => {
    await Promise.all([src.flushall(), dst.flushall()]);
  });

  it('--type full exits 0 when the full migration is done', async () => {
    const p = src.pipeline();
    for (let i = 0; i < 500; i++) p.set(`k${i}`, String(i));
    p.hset('h', 'a', '1');
    await p.exec();
    const r = await runCli(['--source', source.url, '--target', target.url, '--type', 'full', '--json']);
    expect(errorLines(r)).toEqual([]);
    expect(r.code).toBe(0);
    const events = jsonEvents(r.stdout);
    expect(events.filter((e) => e.type === 'stage').map((e) => e.stage)).toEqual(
      expect.arrayContaining(['waiting-snapshot', 'full', 'completed']),
    );
    expect(events.at(-1)).toMatchObject({ type: 'done', stage: 'completed', keys: 501 });
    expect(await dst.dbsize()).toBe(501);
    expect(await dst.hget('h', 'a')).toBe('1');
  });

  it('--type full ended by SIGTERM half-way exits 0 and says it ended, not completed', async () => {
    const p = src.pipeline();
    for (let i = 0; i < 10_000; i++) p.set(`k${i}`, String(i));
    await p.exec();
    const cli = spawnCli(['--source', source.url, '--target', target.url, '--type', 'full', '--json', '--rps', '3000'], { direct: true });
    try {
      await waitFor(() => jsonEvents(cli.stdout()).some((e) => e.type === 'stage' && e.stage === 'full'), 20_000,
        () => `the full stage:\n${cli.stderr()}`);
      await waitFor(async () => (await dst.dbsize()) > 3_000, 10_000, 'part of the keys');
      cli.child.kill('SIGTERM');
      const r = await cli.exited;
      expect(r.code).toBe(0);
      const events = jsonEvents(r.stdout);
      expect(events.at(-1)).toMatchObject({ type: 'done', stage: 'ended' });
      expect(events.some((e) => e.type === 'stage' && e.stage === 'completed')).toBe(false);
      expect(events.some((e) => e.type === 'log' && /ended during the full migration: \d+ keys written; it is not complete/.test(String(e.message)))).toBe(true);
      expect(await dst.dbsize()).toBeLessThan(10_000);
    } finally {
      cli.child.kill('SIGKILL');
    }
  });

  it('a running task exits 0 on SIGTERM after writing what it has read; its checkpoint resumes it', async () => {
    // A rate limit keeps part of the burst unwritten when the signal comes.
    const cli = spawnCli(['--source', source.url, '--target', target.url, '--json', '--task-id', 'cli-sigterm', '--rps', '2000'], { direct: true });
    try {
      await waitFor(() => jsonEvents(cli.stdout()).some((e) => e.type === 'stage' && e.stage === 'incremental'), 20_000,
        () => `the incremental stage:\n${cli.stderr()}`);
      // A burst of writes; SIGTERM as soon as the source has sent all of it to the task.
      const burst = src.pipeline();
      for (let i = 0; i < 6_000; i++) burst.set(`burst:${String(i).padStart(5, '0')}`, String(i));
      await burst.exec();
      const sent = await masterReplOffset(src);
      await waitFor(async () => replicaAckOffset(String(await src.info('replication'))) >= sent, 10_000, 'the task to receive the burst');
      cli.child.kill('SIGTERM');
      const r = await cli.exited;
      expect(errorLines(r)).toEqual([]);
      expect(r.code).toBe(0);
      expect(r.stderr).toMatch(/stopping: writing what was already read/);

      const done = jsonEvents(r.stdout).at(-1);
      expect(done).toMatchObject({ type: 'done', stage: 'ended' });
      const checkpoint = done?.checkpoint as { replid: string; offset: number; db: number };
      expect(checkpoint.offset).toBeGreaterThan(0);
      // What was written is a gap-free prefix of the burst (every write the task took
      // was finished, in order), and the heartbeat key is gone from the source.
      const keys = (await dst.keys('burst:*')).sort();
      expect(keys.length).toBeGreaterThan(0);
      expect(keys.length).toBeLessThan(6_000);
      expect(keys.at(-1)).toBe(`burst:${String(keys.length - 1).padStart(5, '0')}`);
      expect(checkpoint.offset).toBeLessThan(sent);
      expect(await src.exists('DTS_REDIS_TIMESTAMP_HEARTBEAT_cli-sigterm')).toBe(0);

      // A later run resumes from that checkpoint by partial resync and writes the rest.
      const resumed = runTask({ source: endpointOf(source), target: endpointOf(target), resume: checkpoint });
      await waitStage(resumed, 'incremental');
      await waitCaughtUp(resumed, src);
      const progress = await endTask(resumed);
      expect(progress).toMatchObject({ fullSyncs: 0, partialResyncs: 1 });
      expect(await dataKeyCount(dst)).toBe(6_000);
      await expectDigestEqual(src, dst); // (plain strings, no expiry: the digest says it all)
    } finally {
      cli.child.kill('SIGKILL');
    }
  });

  it('an unreachable source fails at once with one clear line', async () => {
    const closed = await freePort();
    const started = Date.now();
    const r = await runCli(['--source', `redis://127.0.0.1:${closed}`, '--target', target.url]);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(r.code).toBe(1);
    expect(errorLines(r)).toEqual([
      `error: connection refused by the source 127.0.0.1:${closed}: nothing is listening on that port, or a firewall rejects it (check the host and port of the URL, and that the server is running and bound to an address this machine can reach)`,
    ]);
  });

  it('an unreachable destination fails at once with one clear line', async () => {
    const closed = await freePort();
    const r = await runCli(['--source', source.url, '--target', `redis://127.0.0.1:${closed}`]);
    expect(r.code).toBe(1);
    expect(errorLines(r)).toHaveLength(1);
    expect(errorLine(r)).toMatch(new RegExp(`^error: connection refused by the destination 127\\.0\\.0\\.1:${closed}: `));
  });

  it('a wrong source password fails at once with one clear line', async () => {
    const r = await runCli(['--source', `redis://:wrong@127.0.0.1:${source.port}`, '--target', target.url]);
    expect(r.code).toBe(1);
    expect(errorLines(r)).toHaveLength(1);
    expect(errorLine(r)).toMatch(new RegExp(`^error: wrong password for the default user on the source 127\\.0\\.0\\.1:${source.port}: WRONGPASS.*\\(check the password in the URL; `));
    const none = await runCli(['--source', `redis://127.0.0.1:${source.port}`, '--target', target.url]);
    expect(none.code).toBe(1);
    expect(errorLines(none)).toHaveLength(1);
    expect(errorLine(none)).toMatch(/NOAUTH|requires a password|Authentication required/i);
  });

  it('bad arguments exit 2 with the usage', async () => {
    const r = await runCli(['--source', source.url]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: --target is required/);
    expect(r.stderr).toMatch(/usage: npm run sync/);
    const bad = await runCli(['--source', source.url, '--target', target.url, '--db-map', '0-1']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--db-map: "0-1" is not FROM:TO/);
  });
});

/** The offset the (only) replica last acknowledged, from INFO replication. */
function replicaAckOffset(info: string): number {
  const m = /^slave0:.*offset=(\d+)/m.exec(info);
  return m ? Number(m[1]) : -1;
}
