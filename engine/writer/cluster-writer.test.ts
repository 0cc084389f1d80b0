/**
 * ClusterWriter against a real 3-master cluster: every command, including ones
 * whose keys span slots, leaves the cluster equal to a standalone server that ran
 * the same commands; MOVED after a slot migration is followed; the checkpoint
 * only moves once every node has answered.
 */
import type Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keySlot } from '../cluster/slot';
import { parseRedisUrl } from '../endpoint';
import type { RespArg } from '../resp';
import { clusterSide, closeSide, compareKeyByKey, type ClusterSide } from '../testing/compare';
import { RedisCluster, RedisServer } from '../testing/redis-server';
import { ClusterWriter } from './cluster-writer';
import { BulkBuilder } from './bulk-builder';

const COMMANDS: string[][] = [
  ['SET', 'a', '1'], ['SET', 'b', '2'], ['MSET', 'k1', 'x', 'k2', 'y', 'k3', 'z', 'k4', 'w'],
  ['DEL', 'k1', 'k3', 'nope'], ['INCRBY', 'b', '40'], ['PEXPIREAT', 'b', String(Date.now() + 3_600_000)],
  ['RENAME', 'b', 'renamed'], // cross-slot, with expiry
  ['RPUSH', 'list1', 'a', 'b', 'c'], ['LMOVE', 'list1', 'list2', 'LEFT', 'RIGHT'], ['RPOPLPUSH', 'list1', 'list3'],
  ['SADD', 'set1', 'a', 'b', 'c'], ['SADD', 'set2', 'c', 'd'], ['SMOVE', 'set1', 'set2', 'a'],
  ['SUNIONSTORE', 'union', 'set1', 'set2'], ['SINTERSTORE', 'inter', 'set1', 'set2'], ['SDIFFSTORE', 'diff', 'set2', 'set1'],
  ['ZADD', 'z1', '1', 'm1', '2', 'm2'], ['ZADD', 'z2', '3', 'm2', '4', 'm3'],
  ['ZUNIONSTORE', 'zout', '2', 'z1', 'z2', 'WEIGHTS', '1', '2', 'AGGREGATE', 'MAX'],
  ['COPY', 'z1', 'zcopy'], ['RENAMENX', 'zcopy', 'a'], ['PFADD', 'h1', 'x', 'y'], ['PFADD', 'h2', 'z'], ['PFMERGE', 'hall', 'h1', 'h2'],
  ['MULTI'], ['SET', '{t}a', '1'], ['INCR', '{t}b'], ['SET', 'other', 'v'], ['RENAME', '{t}a', 'moved'], ['EXEC'],
  ['XADD', 'stream', '1-1', 'f', 'v'], ['XGROUP', 'CREATE', 'stream', 'g', '0'],
  ['UNLINK', 'k2', 'k4'],
];

describe('ClusterWriter', () => {
  let cluster: RedisCluster;
  let reference: RedisServer;
  let ref: Redis;
  let side: ClusterSide;
  beforeAll(async () => {
    [cluster, reference] = await Promise.all([RedisCluster.start(3), RedisServer.start()]);
    ref = reference.client();
    side = await clusterSide(cluster.nodes.map((n) => n.port));
  });
  afterAll(async () => {
    ref?.disconnect();
    if (side) closeSide(side);
    await Promise.all([cluster?.stop(), reference?.stop()]);
  });

  it('applies single-slot, split and emulated cross-slot commands exactly', async () => {
    const writer = new ClusterWriter(parseRedisUrl(`redis://127.0.0.1:${cluster.nodes[0].port}`));
    await writer.open();
    expect(writer.masters).toBe(3);
    let offset = 0;
    for (const argv of COMMANDS) {
      await ref.call(argv[0], ...argv.slice(1));
      offset += 10;
      const pending = writer.write(argv as RespArg[], argv[0] === 'MULTI' ? undefined : { offset, db: 0 });
      if (pending) await pending;
    }
    await writer.flush();
    expect(writer.checkpoint?.offset).toBe(offset);
    writer.close();
    // The cross-slot commands really spanned slots.
    expect(keySlot('b')).not.toBe(keySlot('renamed'));
    expect(keySlot('set1')).not.toBe(keySlot('set2'));
    expect(await compareKeyByKey(ref, side, [0])).toEqual([]);
  });

  it('follows MOVED after a slot is migrated to another master, also for a batch routed by its slot', async () => {
    const writer = new ClusterWriter(parseRedisUrl(`redis://127.0.0.1:${cluster.nodes[0].port}`));
    await writer.open();
    const key = 'migrating-key';
    const slot = keySlot(key);
    const owner = (await side.masters[0].call('CLUSTER', 'SLOTS')) as [number, number, [string, number, string]][];
    const [, , [, fromPort, fromId]] = owner.find(([a, b]) => slot >= a && slot <= b)!;
    const from = cluster.nodes.find((n) => n.port === Number(fromPort))!;
    const to = cluster.nodes.find((n) => n.port !== Number(fromPort))!;
    const toClient = to.client();
    const fromClient = from.client();
    try {
      const toId = String(await toClient.call('CLUSTER', 'MYID'));
      await toClient.call('CLUSTER', 'SETSLOT', slot, 'IMPORTING', String(fromId));
      await fromClient.call('CLUSTER', 'SETSLOT', slot, 'MIGRATING', toId);
      for (const n of cluster.nodes) {
        const c = n.client();
        await c.call('CLUSTER', 'SETSLOT', slot, 'NODE', toId);
        c.disconnect();
      }
      for (let i = 0; i < 20; i++) {
        await ref.call('RPUSH', key, String(i));
        const p = writer.write(['RPUSH', key, String(i)]);
        if (p) await p;
      }
      // A snapshot's per-slot MSET batch, pre-encoded and routed by the slot it names, follows MOVED too.
      const batch = new BulkBuilder();
      const sameSlot = [`{${key}}:a`, `{${key}}:b`].map((k) => Buffer.from(k));
      for (const k of sameSlot) batch.span(k, 0, k.length).span(k, 0, k.length);
      await ref.mset(sameSlot[0]!, sameSlot[0]!, sameSlot[1]!, sameSlot[1]!);
      const m = writer.write(['MSET', batch.take()], undefined, 2, slot);
      if (m) await m;
      await writer.flush();
      expect(await toClient.lrange(key, 0, -1)).toEqual(await ref.lrange(key, 0, -1));
      expect(await toClient.mget(sameSlot[0]!, sameSlot[1]!)).toEqual(sameSlot.map(String));
      expect(await fromClient.call('CLUSTER', 'COUNTKEYSINSLOT', slot)).toBe(0);
    } finally {
      writer.close();
      toClient.disconnect();
      fromClient.disconnect();
    }
    const refreshed = await clusterSide(cluster.nodes.map((n) => n.port));
    try {
      expect(await compareKeyByKey(ref, refreshed, [0])).toEqual([]);
    } finally {
      closeSide(refreshed);
    }
  });

  it('refuses DBs other than 0 with a clear message', async () => {
    const writer = new ClusterWriter(parseRedisUrl(`redis://127.0.0.1:${cluster.nodes[0].port}`));
    await writer.open();
    try {
      expect(() => writer.selectDb(3)).toThrow(/only DB 0/);
    } finally {
      writer.close();
    }
  });
});
