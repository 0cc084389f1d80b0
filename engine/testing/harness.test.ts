import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisCluster, RedisServer } from './redis-server';
import { compareKeyByKey, debugDigest } from './compare';

describe('test harness: real redis-server processes', () => {
  let a: RedisServer;
  let b: RedisServer;
  beforeAll(async () => {
    [a, b] = await Promise.all([RedisServer.start(), RedisServer.start()]);
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it('starts servers with DEBUG enabled and compares them key by key', async () => {
    const ca = a.client();
    const cb = b.client();
    try {
      expect(await debugDigest(ca)).toBe(await debugDigest(cb));
      await ca.set('k', 'v');
      await ca.hset('h', 'f', '1');
      await ca.pexpireat('k', Date.now() + 60_000);
      expect(await debugDigest(ca)).not.toBe(await debugDigest(cb));
      const missing = await compareKeyByKey(ca, cb);
      expect(missing.map((d) => `${d.kind}:${d.key}`).sort()).toEqual(['lack_target:h', 'lack_target:k']);

      await cb.set('k', 'v');
      await cb.hset('h', 'f', '2');
      await cb.set('extra', 'x');
      const diffs = await compareKeyByKey(ca, cb);
      expect(diffs.map((d) => `${d.kind}:${d.key}`).sort()).toEqual(['lack_source:extra', 'ttl:k', 'value:h']);

      await cb.del('extra');
      await cb.hset('h', 'f', '1');
      await cb.pexpireat('k', Number(await ca.call('PEXPIRETIME', 'k')));
      expect(await compareKeyByKey(ca, cb)).toEqual([]);
      expect(await debugDigest(ca)).toBe(await debugDigest(cb));
    } finally {
      ca.disconnect();
      cb.disconnect();
    }
  });

  it('detects stream consumer-group differences that DEBUG DIGEST ignores', async () => {
    const ca = a.client();
    const cb = b.client();
    try {
      await ca.flushall();
      await cb.flushall();
      for (const c of [ca, cb]) await c.xadd('s', '1-1', 'f', 'v');
      await ca.xgroup('CREATE', 's', 'g', '0');
      expect(await debugDigest(ca)).toBe(await debugDigest(cb));
      const diffs = await compareKeyByKey(ca, cb);
      expect(diffs.map((d) => d.kind)).toEqual(['stream_groups']);
    } finally {
      ca.disconnect();
      cb.disconnect();
    }
  });

  it('creates a 3-master cluster with every slot covered', async () => {
    const cluster = await RedisCluster.start(3);
    const client = cluster.client();
    try {
      const slots = (await client.cluster('SLOTS')) as unknown[];
      expect(slots.length).toBe(3);
      for (let i = 0; i < 50; i++) await client.set(`key:${i}`, String(i));
      let total = 0;
      for (const node of cluster.nodes) {
        const c = node.client();
        total += await c.dbsize();
        c.disconnect();
      }
      expect(total).toBe(50);
    } finally {
      client.disconnect();
      await cluster.stop();
    }
  });
});
