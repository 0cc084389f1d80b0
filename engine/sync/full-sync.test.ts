/**
 * Full migration of every Redis 7.0 encoding, then incremental, against real servers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Redis from 'ioredis';
import { parseRedisUrl } from '../endpoint';
import { compareKeyByKey } from '../testing/compare';
import { RedisServer } from '../testing/redis-server';
import { fillEveryEncoding } from './testing/every-encoding';
import { endTask, endpointOf, runTask, startSource, waitCaughtUp, waitStage } from './testing/run-task';
import { withoutSeenTime, expectDigestEqual, expectEqual } from '../testing/expect-equal';

describe('SyncTask: every Redis 7.0 encoding, several DBs, expiry', () => {
  let source: RedisServer;
  let target: RedisServer;
  let src: Redis;
  let dst: Redis;
  let encodings: Map<string, string>;

  beforeAll(async () => {
    [source, target] = await Promise.all([startSource(), RedisServer.start()]);
    src = source.client();
    dst = target.client();
    encodings = await fillEveryEncoding(src);
  });
  afterAll(async () => {
    src?.disconnect();
    dst?.disconnect();
    await Promise.all([source?.stop(), target?.stop()]);
  });

  it('the fixture holds every in-memory encoding of Redis 7.0', () => {
    expect(new Set(encodings.values())).toEqual(new Set([
      'int', 'embstr', 'raw', 'quicklist', 'intset', 'hashtable', 'listpack', 'skiplist', 'stream',
    ]));
  });

  it('copies the snapshot and then the stream: equal key by key and by DEBUG DIGEST', async () => {
    const keys = await totalKeys(src);
    const run = runTask({ source: endpointOf(source), target: endpointOf(target), type: 'full+incremental' });
    await waitStage(run, 'incremental');
    expect(run.task.progress.keysDone).toBe(keys);

    // A few writes after the snapshot, in several DBs, and a key that expires on the source.
    await src.select(3);
    await src.set('db3:after', 'snapshot');
    await src.set('db3:short', 'lived', 'PX', 300);
    await src.select(0);
    await src.hset('hash:listpack', 'added', 'later');
    await src.xadd('stream:full', '*', 'late', 'entry');
    await new Promise((r) => setTimeout(r, 500));
    await src.select(3);
    expect(await src.exists('db3:short')).toBe(0); // the source expired it (a DEL in the stream)
    await src.select(0);
    await waitCaughtUp(run, src);

    await expectEqual(src, dst);
    const progress = await endTask(run);
    expect(progress.stage).toBe('ended');
    expect(progress.fullSyncs).toBe(1);
    expect(progress.partialResyncs).toBe(0);
    await expectDigestEqual(src, dst);
  });

  it('writes big keys in batches into a temporary key, with the same result', async () => {
    const other = await RedisServer.start();
    const o = other.client();
    try {
      // Every non-trivial value is a "big key" at this threshold: written with batches of commands.
      const run = runTask({ source: endpointOf(source), target: endpointOf(other), type: 'full', hooks: { bigKeyThreshold: 64 } });
      await run.done;
      if (run.error()) throw run.error();
      expect(run.task.progress.stage).toBe('completed');
      // Written with commands, a stream's consumers get the destination's clock as their
      // seen-time (no command sets it; Redis's own AOF rewrite has the same limit). Everything
      // else of the groups — ids, entries-read, PEL owners, delivery times and counts — is equal.
      const diffs = await compareKeyByKey(src, o, [0, 3, 15]);
      expect(diffs.filter((d) => d.kind !== 'stream_groups')).toEqual([]);
      for (const d of diffs) expect(withoutSeenTime(d.target)).toBe(withoutSeenTime(d.source));
      expect(diffs.map((d) => d.key)).toEqual(['stream:full']);
      await expectDigestEqual(src, o);
      // No temporary key is left behind.
      for (const db of [0, 3, 15]) {
        await o.select(db);
        expect(await o.keys('*dts-tmp-*')).toEqual([]);
      }
    } finally {
      o.disconnect();
      await other.stop();
    }
  });
});

async function totalKeys(c: Redis): Promise<number> {
  let n = 0;
  for (const m of String(await c.info('keyspace')).matchAll(/^db\d+:keys=(\d+)/gm)) n += Number(m[1]);
  return n;
}


describe('SyncTask: a source replicating through a disk RDB, logged in as an ACL user', () => {
  it('reads the $<len> snapshot and the stream as user:password', async () => {
    const [source, target] = await Promise.all([
      startSource({ config: { 'repl-diskless-sync': 'no' } }),
      RedisServer.start(),
    ]);
    const src = source.client();
    const dst = target.client();
    try {
      await src.call('ACL', 'SETUSER', 'dts', 'on', '>dts-pass', '~*', '&*', '+@all');
      await src.call('ACL', 'SETUSER', 'default', 'off');
      const admin = new Redis({ port: source.port, host: '127.0.0.1', username: 'dts', password: 'dts-pass' });
      try {
        await fillEveryEncoding(admin);
        const run = runTask({ source: parseRedisUrl(`redis://dts:dts-pass@127.0.0.1:${source.port}`), target: endpointOf(target) });
        await waitStage(run, 'incremental');
        await admin.set('after', 'disk snapshot');
        await waitCaughtUp(run, admin);
        await expectEqual(admin, dst);
        await endTask(run);
        expect(source.log()).toMatch(/Starting BGSAVE for SYNC with target: disk/);
        await expectDigestEqual(admin, dst);
      } finally {
        admin.disconnect();
      }
    } finally {
      src.disconnect();
      dst.disconnect();
      await Promise.all([source.stop(), target.stop()]);
    }
  });
});
