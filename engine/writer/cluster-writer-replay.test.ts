/**
 * ClusterWriter after a broken node connection, outside units (a cluster takes
 * MULTI only within one slot): commands the node ran before the break, their
 * answers lost, are sent again. An error showing that the first run got through
 * (an XADD id already there, BUSYGROUP) is not a failure — as on a standalone
 * destination — and keys where a second run counts twice are reported.
 * One master announces a ChaosProxy's port, so its connection can lose answers.
 */
import type Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keySlot } from '../cluster/slot';
import { parseRedisUrl } from '../endpoint';
import { ChaosProxy } from '../testing/chaos-proxy';
import { RedisCluster } from '../testing/redis-server';
import { ClusterWriter } from './cluster-writer';

describe('ClusterWriter, a node connection broken with answers lost', () => {
  let cluster: RedisCluster;
  let proxy: ChaosProxy;
  let node: Redis;
  let slots: [number, number][];
  beforeAll(async () => {
    cluster = await RedisCluster.start(3);
    const first = cluster.nodes[0]!;
    proxy = await ChaosProxy.start(first.port);
    node = first.client();
    await node.call('CONFIG', 'SET', 'cluster-announce-port', String(proxy.port), 'cluster-announce-bus-port', String(first.port + 10000));
    const mine = String(await node.call('CLUSTER', 'NODES')).split('\n').find((l) => l.includes('myself'))!;
    expect(mine).toContain(`:${proxy.port}@`);
    slots = mine.trim().split(' ').slice(8).map((r) => r.split('-').map(Number) as [number, number]);
  });
  afterAll(async () => {
    node?.disconnect();
    await proxy?.close();
    await cluster?.stop();
  });

  /** A key whose slot the proxied master serves. */
  function keyOnProxiedNode(prefix: string): string {
    for (let i = 0; ; i++) {
      const k = `${prefix}${i}`;
      const s = keySlot(k);
      if (slots.some(([a, b]) => s >= a && s <= (b ?? a))) return k;
    }
  }

  it('a resent XADD whose first run got through does not fail the task; INCR run twice is reported', async () => {
    const replayed: string[] = [];
    const writer = new ClusterWriter(parseRedisUrl(`redis://127.0.0.1:${cluster.nodes[0]!.port}`), {
      connectionRetryMs: 20_000, onReplayed: (keys) => replayed.push(...keys.map((k) => k.key.toString())),
    });
    const stream = keyOnProxiedNode('s');
    const counter = keyOnProxiedNode('n');
    try {
      await writer.open();
      await writer.write(['INCR', counter], { offset: 1, db: 0 });
      await writer.flush();
      proxy.holdReplies();
      await writer.write(['XADD', stream, '5-1', 'f', 'v'], { offset: 2, db: 0 });
      await writer.write(['XGROUP', 'CREATE', stream, 'g', '0'], { offset: 3, db: 0 });
      await writer.write(['INCR', counter], { offset: 4, db: 0 });
      const deadline = Date.now() + 5_000;
      while (Number(await node.get(counter)) !== 2) {
        if (Date.now() > deadline) throw new Error('the commands did not run');
        await new Promise((r) => setTimeout(r, 10));
      }
      proxy.cut();
      await writer.flush();
      expect(writer.failed).toBeUndefined();
      expect(writer.checkpoint?.offset).toBe(4);
      expect(await node.xlen(stream)).toBe(1);
      // Run twice: at least once is the cluster's guarantee, and the engine says which key.
      expect(await node.get(counter)).toBe('3');
      // The XADD and XGROUP met their own first run (not a failure); the INCR counted twice: both keys named.
      expect(replayed.sort()).toEqual([counter, stream].sort());
    } finally {
      writer.close();
    }
  });
});
