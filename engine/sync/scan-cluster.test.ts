/**
 * Scan mode on a cluster source that behaves like a managed service (3 masters, PSYNC,
 * SYNC and CONFIG renamed away in their config files): one scan reader per master, each
 * subscribed to its own node's key events; a FLUSHALL on one master is healed by that
 * shard's re-scan, which deletes only keys of its own slots.
 */
import type Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRedisUrl } from '../endpoint';
import { clusterSide, closeSide, compareKeyByKey, type ClusterSide, type KeyDifference } from '../testing/compare';
import { MANAGED_SOURCE_CONFIG } from '../testing/managed-source';
import { RedisCluster, RedisServer } from '../testing/redis-server';
import { waitFor } from '../testing/wait';
import { createSyncRunner } from './cluster-sync';
import type { SyncRunner } from './types';

describe('scan mode: a managed-service cluster source', () => {
  let source: RedisCluster;
  let target: RedisServer;
  let sourceSide: ClusterSide;
  let dst: Redis;

  beforeAll(async () => {
    [source, target] = await Promise.all([RedisCluster.start(3, { configFile: MANAGED_SOURCE_CONFIG }), RedisServer.start()]);
    sourceSide = await clusterSide(source.nodes.map((n) => n.port));
    dst = target.client();
  });
  afterAll(async () => {
    if (sourceSide) closeSide(sourceSide);
    dst?.disconnect();
    await Promise.all([source?.stop(), target?.stop()]);
  });

  async function eventuallyEqual(task: SyncRunner, failure: () => unknown): Promise<void> {
    let last: KeyDifference[] = [];
    await waitFor(async () => {
      if (failure()) throw failure();
      if (task.progress.delayMs !== 0) return false;
      last = await compareKeyByKey(sourceSide, dst, [0]);
      return last.length === 0;
    }, 45_000, () => `the destination to equal the source: ${JSON.stringify(last.slice(0, 5))}`);
  }

  it('copies every master, follows its writes, and heals a FLUSHALL on one master without touching the others\' keys', async () => {
    const writer = source.client();
    for (let i = 0; i < 600; i++) await (i % 3 === 0 ? writer.hset(`seed:h:${i}`, 'f', String(i)) : writer.set(`seed:s:${i}`, String(i), 'PX', 3_600_000));
    const logs: string[] = [];
    const task = await createSyncRunner({
      taskId: `scancluster${process.pid}`, source: parseRedisUrl(`redis://127.0.0.1:${source.nodes[0]!.port}`), target: parseRedisUrl(target.url),
      read: 'scan', connectionRetryMs: 20_000, otherRetryMs: 20_000, hooks: { scan: { flushWatchMs: 200 } },
    });
    task.on('log', (_level, message) => logs.push(message));
    let failure: unknown;
    const done = task.run().catch((err: unknown) => { failure = err; });
    try {
      await waitFor(() => { if (failure) throw failure; return task.progress.stage === 'incremental'; }, 60_000, 'the incremental stage');
      expect(task.progress.shards).toHaveLength(3);
      expect(logs.join('\n')).toMatch(/per key in MULTI\/EXEC \(a cluster node/);
      for (let i = 0; i < 200; i++) await writer.set(`after:${i}`, String(i));
      for (let i = 1; i < 60; i += 3) await writer.del(`seed:s:${i}`);
      await eventuallyEqual(task, () => failure);

      // FLUSHALL on one master: only that shard's re-scan can see it; the other shards' keys stay.
      const victim = source.nodes[1]!.client();
      const victimKeys = await victim.dbsize();
      expect(victimKeys).toBeGreaterThan(0);
      await victim.flushall();
      victim.disconnect();
      await waitFor(() => logs.some((l) => /FLUSHALL ran on the source/.test(l)), 20_000, 'the FLUSHALL to be seen');
      await eventuallyEqual(task, () => failure);
      expect(await dst.dbsize()).toBeGreaterThan(600 + 200 - 20 - victimKeys - 10);
    } finally {
      await task.stop();
      await done;
      writer.disconnect();
    }
    expect(failure).toBeUndefined();
  });
});
