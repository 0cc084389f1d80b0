/**
 * Redis Cluster on either side (issue 6), against real clusters spawned by the harness:
 * - standalone source under writes (including cross-slot commands) → 3-master cluster,
 *   with a slot migrated between destination masters during the task;
 * - a 3-master cluster source loaded by redis-benchmark → standalone, and → a 4-master cluster;
 * - one source master's link killed: only that shard resumes, by partial resync.
 */
import { spawnSync } from 'node:child_process';
import type Redis from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { keySlot } from '../cluster/slot';
import { parseRedisUrl } from '../endpoint';
import { clusterSide, closeSide, compareKeyByKey, type Side } from '../testing/compare';
import { RedisCluster, RedisServer, requireBinary } from '../testing/redis-server';
import { createSyncRunner, type SyncRunner } from './cluster-sync';
import type { SyncOptions } from './types';

const MASTER = { 'repl-diskless-sync-delay': 0 };
const started: { stop(): Promise<void> }[] = [];
afterAll(async () => {
  await Promise.all(started.map((s) => s.stop()));
});

async function server(): Promise<RedisServer> {
  const s = await RedisServer.start({ config: MASTER });
  started.push(s);
  return s;
}

async function cluster(masters: number): Promise<RedisCluster> {
  const c = await RedisCluster.start(masters, { config: MASTER });
  started.push(c);
  return c;
}

const seed = (c: RedisCluster) => parseRedisUrl(`redis://127.0.0.1:${c.nodes[0].port}`);

async function waitFor(what: string, probe: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function start(opts: Omit<SyncOptions, 'taskId'>): Promise<{ task: SyncRunner; done: Promise<void>; logs: string[] }> {
  const task = await createSyncRunner({ taskId: `cl${Date.now().toString(36)}`, ...opts });
  const logs: string[] = [];
  task.on('log', (level, message) => logs.push(`${level} ${message}`));
  const done = task.run();
  done.catch(() => undefined);
  await waitFor('incremental', () => {
    if (task.progress.stage === 'failed') throw new Error(`task failed: ${logs.join('\n')}`);
    return task.progress.stage === 'incremental';
  });
  return { task, done, logs };
}

/** Source writes applied: each source master's replication offset reached by its shard's checkpoint (or a short settle for standalone). */
async function settle(task: SyncRunner, sourceMasters: Redis[]): Promise<void> {
  const offsets = await Promise.all(sourceMasters.map(async (m) => Number(/master_repl_offset:(\d+)/.exec(await m.info('replication'))![1])));
  // Shards are in slot order, as the masters redis-cli created.
  await waitFor('checkpoints to catch up', () => {
    const p = task.progress;
    if (p.shards) return p.shards.every((s, i) => (s.checkpoint?.offset ?? -1) >= offsets[i]);
    return (p.checkpoint?.offset ?? -1) >= offsets[0];
  });
}

async function expectEqual(source: Side, target: Side): Promise<void> {
  expect(await compareKeyByKey(source, target, [0])).toEqual([]);
}

describe('cluster destination', () => {
  it('a standalone source under writes, cross-slot commands included, ends equal; a slot moved mid-task loses nothing', async () => {
    const source = await server();
    const dest = await cluster(3);
    const src = source.client();
    for (let i = 0; i < 3000; i++) await src.set(`key:${i}`, `v${i}`);
    await src.rpush('list:a', 'a', 'b', 'c');
    await src.sadd('set:a', '1', '2', '3');
    await src.zadd('z:a', 1, 'x', 2, 'y');
    const { task, done } = await start({ source: parseRedisUrl(source.url), target: seed(dest) });

    // Cross-slot commands the destination must emulate, and transactions spanning slots.
    expect(keySlot('set:a')).not.toBe(keySlot('set:b'));
    await src.rename('key:1', 'key:renamed');
    await src.smove('set:a', 'set:b', '1');
    await src.lmove('list:a', 'list:b', 'LEFT', 'RIGHT');
    await src.sunionstore('set:union', 'set:a', 'set:b');
    await src.zadd('z:b', 5, 'y', 7, 'w');
    await src.zunionstore('z:union', 2, 'z:a', 'z:b', 'WEIGHTS', 2, 3);
    await src.copy('z:a', 'z:copy');
    await src.multi().set('tx:1', 'a').incr('tx:2').rename('key:2', 'tx:moved').exec();
    await src.mset('m:1', 'a', 'm:2', 'b', 'm:3', 'c');
    await src.del('key:3', 'key:4', 'm:2');

    // Migrate a slot with keys between destination masters while writes continue.
    const slot = keySlot('key:10');
    const probe = dest.nodes[0].client();
    const slots = (await probe.call('CLUSTER', 'SLOTS')) as [number, number, [string, number, string]][];
    probe.disconnect();
    const [, , [, fromPort, fromId]] = slots.find(([a, b]) => slot >= a && slot <= b)!;
    const from = dest.nodes.find((n) => n.port === Number(fromPort))!;
    const to = dest.nodes.find((n) => n.port !== Number(fromPort))!;
    const fromC = from.client();
    const toC = to.client();
    const toId = String(await toC.call('CLUSTER', 'MYID'));
    await toC.call('CLUSTER', 'SETSLOT', slot, 'IMPORTING', fromId);
    await fromC.call('CLUSTER', 'SETSLOT', slot, 'MIGRATING', toId);
    for (let i = 0; i < 50; i++) await src.append('key:10', `+${i}`);
    for (;;) {
      const keys = (await fromC.call('CLUSTER', 'GETKEYSINSLOT', slot, 100)) as string[];
      if (keys.length === 0) break;
      await fromC.call('MIGRATE', '127.0.0.1', to.port, '', 0, 5000, 'KEYS', ...keys);
    }
    for (const n of dest.nodes) {
      const c = n.client();
      await c.call('CLUSTER', 'SETSLOT', slot, 'NODE', toId);
      c.disconnect();
    }
    for (let i = 50; i < 100; i++) await src.append('key:10', `+${i}`);
    fromC.disconnect();
    toC.disconnect();

    await settle(task, [src]);
    await task.stop();
    await done;
    const side = await clusterSide(dest.nodes.map((n) => n.port));
    try {
      await expectEqual(src, side);
    } finally {
      closeSide(side);
      src.disconnect();
    }
  });
});

describe('cluster source', () => {
  it('a 3-master cluster loaded by redis-benchmark → standalone, and → a 4-master cluster, equal; one shard link killed resumes alone', async () => {
    const source = await cluster(3);
    const bench = requireBinary('redis-benchmark', 'redis-server');
    const load = spawnSync(bench, ['-p', String(source.nodes[0].port), '--cluster', '-t', 'set,lpush,sadd,hset,zadd', '-n', '3000', '-r', '2000', '-q'],
      { encoding: 'utf8', timeout: 60_000 });
    expect(load.status, load.stderr).toBe(0);
    const masters = source.nodes.map((n) => n.client());
    const sourceSide = await clusterSide(source.nodes.map((n) => n.port));
    const standalone = await server();
    const bigger = await cluster(4);

    const toStandalone = await start({ source: seed(source), target: parseRedisUrl(standalone.url) });
    const toCluster = await start({ source: seed(source), target: seed(bigger) });
    expect(toStandalone.task.progress.shards).toHaveLength(3);
    expect(toCluster.task.progress.shards).toHaveLength(3);

    // Writes on every shard after the full migration, through a cluster client.
    const writer = source.client();
    for (let i = 0; i < 300; i++) await writer.set(`after:${i}`, String(i));
    await writer.lpush('after:list', 'a', 'b');

    // Kill the replica link of one source master only: that shard resumes by partial resync.
    const victim = masters[1];
    await victim.call('CLIENT', 'KILL', 'TYPE', 'replica');
    for (let i = 300; i < 400; i++) await writer.set(`after:${i}`, String(i));
    await waitFor('the killed shard to resume', () => toStandalone.task.progress.partialResyncs >= 1);

    for (const run of [toStandalone, toCluster]) await settle(run.task, masters);
    const standaloneClient = standalone.client();
    const biggerSide = await clusterSide(bigger.nodes.map((n) => n.port));
    try {
      await expectEqual(sourceSide, standaloneClient);
      await expectEqual(sourceSide, biggerSide);
      const p = toStandalone.task.progress;
      expect(p.fullSyncs).toBe(3); // one per shard, none again
      expect(p.partialResyncs).toBeGreaterThanOrEqual(1);
      expect(source.nodes[1].log()).toMatch(/Partial resynchronization request .* accepted/);
      for (const n of [source.nodes[0], source.nodes[2]]) expect(n.log()).not.toMatch(/Partial resynchronization request .* accepted/);
      expect(await standaloneClient.keys('DTS_REDIS_TIMESTAMP_HEARTBEAT*')).toEqual([]);
    } finally {
      for (const run of [toStandalone, toCluster]) {
        await run.task.stop();
        await run.done;
      }
      standaloneClient.disconnect();
      writer.disconnect();
      for (const m of masters) m.disconnect();
      closeSide(biggerSide);
      closeSide(sourceSide);
    }
    // The heartbeat keys were deleted from every source shard at the end.
    const leftover = await Promise.all(source.nodes.map(async (n) => {
      const c = n.client();
      const keys = await c.keys('DTS_REDIS_TIMESTAMP_HEARTBEAT*');
      c.disconnect();
      return keys;
    }));
    expect(leftover.flat()).toEqual([]);
  }, 180_000);

  it('refuses DBs other than 0 from a cluster source, in words', async () => {
    const source = await cluster(3);
    const dest = await server();
    const task = await createSyncRunner({ taskId: 'cldb', source: seed(source), target: parseRedisUrl(dest.url), filter: { dbs: [0, 3] } });
    await expect(task.run()).rejects.toThrow(/only DB 0/);
  });
});

describe('Use Slave Node', () => {
  it('reads each shard from a replica in sync (heartbeat still on the master), the master where none is, and ends equal', async () => {
    const source = await cluster(3);
    const cli = requireBinary('redis-cli', 'redis-server');
    // A replica for each of the first two masters, added the way an operator would.
    async function addReplica(master: RedisServer): Promise<{ replica: RedisServer; masterId: string }> {
      const replica = await RedisServer.start({ cluster: true, config: MASTER });
      started.push(replica);
      const m = master.client();
      const masterId = String(await m.call('CLUSTER', 'MYID'));
      m.disconnect();
      const added = spawnSync(cli, ['--cluster', 'add-node', `127.0.0.1:${replica.port}`, `127.0.0.1:${master.port}`,
        '--cluster-slave', '--cluster-master-id', masterId], { encoding: 'utf8', timeout: 30_000 });
      expect(added.status, added.stdout + added.stderr).toBe(0);
      return { replica, masterId };
    }
    const { replica, masterId } = await addReplica(source.nodes[0]);
    const { replica: broken, masterId: brokenMasterId } = await addReplica(source.nodes[1]);
    const first = source.nodes[0].client();
    // The second replica cannot log in to its master (which has no password): its link stays down.
    const b = broken.client();
    await b.config('SET', 'masterauth', 'wrong');
    await b.call('CLIENT', 'KILL', 'TYPE', 'master');
    const brokenKnown = new RegExp(`127\\.0\\.0\\.1:${broken.port}@\\d+ slave ${brokenMasterId} `);
    await waitFor('the broken replica to be out of sync, and known to the seed', async () => /master_link_status:down/.test(await b.info('replication'))
      && brokenKnown.test(String(await first.call('CLUSTER', 'NODES'))));
    const r = replica.client();
    // In sync, and known to the seed as a replica of that master (not still in handshake).
    const asReplica = new RegExp(`127\\.0\\.0\\.1:${replica.port}@\\d+ slave ${masterId} `);
    await waitFor('the replica to be in sync', async () => /master_link_status:up/.test(await r.info('replication'))
      && asReplica.test(String(await first.call('CLUSTER', 'NODES'))));
    const writer = source.client();
    for (let i = 0; i < 200; i++) await writer.set(`k:${i}`, String(i));
    const dest = await server();
    const run = await start({ source: seed(source), target: parseRedisUrl(dest.url), useReplicas: true });
    for (let i = 200; i < 300; i++) await writer.set(`k:${i}`, String(i));
    const masters = source.nodes.map((n) => n.client());
    const sourceSide = await clusterSide(source.nodes.map((n) => n.port));
    const d = dest.client();
    try {
      await waitFor('the writes to arrive', async () => (await d.dbsize()) >= 300);
      await settle(run.task, masters);
      await expectEqual(sourceSide, d);
      expect(run.logs.some((l) => l.includes(`reading replica 127.0.0.1:${replica.port}`)), run.logs.join("\n")).toBe(true);
      expect(run.logs.some((l) => l.includes(`reading the master: no replica in sync — 127.0.0.1:${broken.port}: its link to the master is down`)),
        run.logs.join("\n")).toBe(true);
      expect(run.logs.some((l) => l.includes(`reading replica 127.0.0.1:${broken.port}`))).toBe(false);
      // Our link for the first shard hangs off the replica (a chained replica), not its master.
      expect(await r.info('replication')).toMatch(/connected_slaves:1/);
    } finally {
      await run.task.stop();
      await run.done;
      for (const c of [...masters, writer, first, r, b, d]) c.disconnect();
      closeSide(sourceSide);
    }
  }, 120_000);
});
