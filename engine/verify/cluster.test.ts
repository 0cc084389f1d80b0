/** Verification with a 3-master cluster on either side and a standalone server on the other. */
import type Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRedisUrl } from '../endpoint';
import { RedisCluster, RedisServer } from '../testing/redis-server';
import { copyDb, populate } from './testing/dataset';
import { verify, type Conflict, type VerifyResult } from './index';

let cluster: RedisCluster;
let single: RedisServer;
let cc: InstanceType<typeof Redis.Cluster>;
let sc: Redis;
const nodeClients: Redis[] = [];
const KEYS = 300;

const clusterUrl = () => parseRedisUrl(`redis://127.0.0.1:${cluster.nodes[1].port}`);
const singleUrl = () => parseRedisUrl(single.url);
const summary = (r: VerifyResult) => r.final.dbs.flatMap((d) => d.sample).map((c: Conflict) => `${c.key} ${c.kind}${c.field ? ` ${c.field}` : ''}`).sort();

beforeAll(async () => {
  [cluster, single] = await Promise.all([RedisCluster.start(3), RedisServer.start()]);
  cc = cluster.client();
  sc = single.client();
  await populate(cc, '{t}', { bigHashFields: 3000 });
  await Promise.all(Array.from({ length: KEYS }, (_, i) => (i % 3 === 0 ? cc.hset(`k:${i}`, 'f', `v${i}`) : cc.set(`k:${i}`, `v${i}`))));
  for (const n of cluster.nodes) nodeClients.push(n.client());
  await copyDb(nodeClients, sc);
});

afterAll(async () => {
  cc?.disconnect();
  sc?.disconnect();
  for (const c of nodeClients) c.disconnect();
  await Promise.all([cluster?.stop(), single?.stop()]);
});

describe('cluster source, standalone destination', () => {
  it('scans every master and finds an exact copy equal', async () => {
    const counts = await Promise.all(nodeClients.map((c) => c.dbsize()));
    expect(counts.filter((n) => n > 0).length).toBe(3); // the keys really are spread over the masters
    const r = await verify({ source: clusterUrl(), target: singleUrl(), rounds: 1 });
    expect(r.source).toMatchObject({ cluster: true, debugDigest: true });
    expect(r.source.nodes).toHaveLength(3);
    expect(r.target.cluster).toBe(false);
    expect(r.final.keysChecked).toBe(KEYS + 16);
    expect(summary(r)).toEqual([]);
    expect(r.equal).toBe(true);
  });

  it('finds conflicts on keys of every master, reading the source by slot', async () => {
    await sc.del('k:10');
    await sc.set('extra', 'x');
    await cc.set('k:20', 'changed on the source');
    await cc.del('k:22');
    await cc.hset('k:22', 'f', 'now a hash');
    await cc.hset('{t}bighash', 'f2999', 'changed');
    try {
      const r = await verify({ source: clusterUrl(), target: singleUrl(), rounds: 1, useDigest: false });
      expect(summary(r)).toEqual(['extra lack_source', 'k:10 lack_target', 'k:20 value', 'k:22 type', '{t}bighash value f2999']);
    } finally {
      await sc.set('k:10', 'v10');
      await sc.del('extra');
      await cc.set('k:20', 'v20');
      await cc.del('k:22');
      await cc.set('k:22', 'v22');
      await cc.hset('{t}bighash', 'f2999', 'value-2999');
    }
  });

  it('a cluster has DB 0 only', async () => {
    await expect(verify({ source: clusterUrl(), target: singleUrl(), filter: { dbs: [1] } })).rejects.toThrow(/source is a cluster, which has DB 0 only/);
  });
});

describe('standalone source, cluster destination', () => {
  it('routes reads on the destination by slot', async () => {
    const equal = await verify({ source: singleUrl(), target: clusterUrl(), rounds: 1 });
    expect(equal.target).toMatchObject({ cluster: true });
    expect(summary(equal)).toEqual([]);
    await cc.del('k:30');
    await cc.set('only-in-cluster', 'x');
    await cc.set('k:31', 'different');
    try {
      const r = await verify({ source: singleUrl(), target: clusterUrl(), rounds: 1 });
      expect(summary(r)).toEqual(['k:30 lack_target', 'k:31 value', 'only-in-cluster lack_source']);
    } finally {
      await cc.hset('k:30', 'f', 'v30');
      await cc.del('only-in-cluster');
      await cc.set('k:31', 'v31');
    }
  });

  it('refuses a DB mapping into a cluster DB other than 0', async () => {
    await expect(verify({ source: singleUrl(), target: clusterUrl(), filter: { dbs: [0], dbMap: new Map([[0, 2]]) } }))
      .rejects.toThrow(/destination is a cluster, which has DB 0 only, but source DB 0 is mapped to DB 2/);
  });
});
