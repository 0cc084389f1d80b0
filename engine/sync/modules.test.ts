/**
 * Module values end to end (issue 14), with the one module the fetched servers have: Redis 8's
 * vector sets (module "vectorset", built in; RDB MODULE_2 values). Into a destination that loads
 * it, a full migration RESTOREs them and the stream's VADD / VREM / VSETATTR are forwarded; the
 * verifier compares them by content. Into one that does not (Redis 7.0, Valkey 8.1, Valkey 9.1)
 * the precheck says so from the data, and the task fails naming the key or the command.
 */
import type Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DtsError } from '../errors';
import { runPrechecks } from '../precheck/run';
import type { PrecheckInput, PrecheckResult } from '../precheck/types';
import { expectEqual } from '../testing/expect-equal';
import { prng } from '../testing/prng';
import { RedisCluster, RedisServer } from '../testing/redis-server';
import { serverAvailable, type ServerName } from '../testing/servers';
import { waitFor } from '../testing/wait';
import { verify, type Conflict, type VerifyResult } from '../verify';
import { endTask, endpointOf, runTask, startSource, waitCaughtUp, waitStage } from './testing/run-task';

const random = prng(14);

function vector(dim: number): string[] {
  return Array.from({ length: dim }, () => (random() * 2 - 1).toFixed(4));
}

function fp32(dim: number): Buffer {
  const b = Buffer.alloc(dim * 4);
  for (let i = 0; i < dim; i++) b.writeFloatLE(random() * 2 - 1, i * 4);
  return b;
}

/** Vector sets of every kind: int8 (the default), float32, binary, a projection, another M, attributes, an expiry, a big one. */
async function seedVectorSets(c: Redis, bigElements: number): Promise<void> {
  for (let i = 0; i < 40; i++) {
    await c.call('VADD', 'vs:q8', 'VALUES', 8, ...vector(8), `e${i}`, ...(i % 3 === 0 ? ['SETATTR', JSON.stringify({ year: 1950 + i, tag: `t${i % 5}` })] : []));
  }
  for (let i = 0; i < 20; i++) await c.call('VADD', 'vs:f32', 'FP32', fp32(4), `f${i}`, 'NOQUANT');
  for (let i = 0; i < 20; i++) await c.call('VADD', 'vs:bin', 'VALUES', 16, ...vector(16), `b${i}`, 'BIN');
  for (let i = 0; i < 20; i++) await c.call('VADD', 'vs:reduce', 'REDUCE', 4, 'VALUES', 16, ...vector(16), `r${i}`);
  for (let i = 0; i < 20; i++) await c.call('VADD', 'vs:m32', 'VALUES', 3, ...vector(3), `m${i}`, 'M', 32);
  await c.call('VADD', 'vs:ttl', 'VALUES', 3, 1, 2, 3, 'only');
  await c.pexpire('vs:ttl', 3_600_000);
  const p = c.pipeline();
  for (let i = 0; i < bigElements; i++) p.call('VADD', 'vs:big', 'VALUES', 32, ...vector(32), `big${i}`);
  await p.exec();
  await c.set('plain:string', 'v');
  await c.hset('plain:hash', 'f', 'v');
}

/** Writes of every vector-set command a stream carries: VADD (with attributes, a new set), VREM, VSETATTR, and DEL / PEXPIRE of a set. */
async function vectorSetWrites(c: Redis): Promise<void> {
  for (let i = 40; i < 60; i++) await c.call('VADD', 'vs:q8', 'VALUES', 8, ...vector(8), `e${i}`);
  // Not a VADD of an element the set has: Redis does not propagate one (see the test of it below).
  await c.call('VREM', 'vs:q8', 'e5');
  await c.call('VREM', 'vs:f32', 'f0');
  await c.call('VSETATTR', 'vs:q8', 'e7', '{"year":2001}');
  await c.call('VSETATTR', 'vs:q8', 'e0', ''); // removes the attributes
  await c.call('VADD', 'vs:new', 'FP32', fp32(6), 'n1', 'NOQUANT', 'SETATTR', '{"n":1}');
  await c.call('VADD', 'vs:new', 'FP32', fp32(6), 'n2', 'NOQUANT');
  await c.call('VADD', 'vs:reduce', 'REDUCE', 4, 'VALUES', 16, ...vector(16), 'r-late');
  await c.call('VADD', 'vs:gone', 'VALUES', 2, 1, 1, 'x');
  await c.del('vs:gone');
  await c.pexpire('vs:bin', 7_200_000);
  await c.call('VREM', 'vs:ttl', 'only'); // the last element: the key goes
}

/** What a vector set is, read through its own commands: settings, elements, vectors as stored, attributes. */
async function vectorSetContent(c: Redis, key: string): Promise<unknown> {
  const info = (await c.call('VINFO', key)) as unknown[];
  const settings: Record<string, unknown> = {};
  for (let i = 0; i + 1 < info.length; i += 2) {
    if (['quant-type', 'vector-dim', 'projection-input-dim', 'hnsw-m'].includes(String(info[i]))) settings[String(info[i])] = info[i + 1];
  }
  const card = Number(await c.call('VCARD', key));
  const members = ((await c.call('VRANDMEMBER', key, card)) as string[]).sort();
  const elements: Record<string, unknown> = {};
  for (const m of members) {
    const raw = (await c.callBuffer('VEMB', key, m, 'RAW')) as Buffer[];
    elements[m] = { raw: raw.map((x) => (Buffer.isBuffer(x) ? x.toString('hex') : String(x))), attr: await c.call('VGETATTR', key, m) };
  }
  return { settings, card, elements, pttlSet: Number(await c.pttl(key)) > 0 };
}

async function vectorSetKeys(c: Redis): Promise<string[]> {
  const out: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = (await c.call('SCAN', cursor, 'COUNT', 1000, 'TYPE', 'vectorset')) as [string, string[]];
    cursor = next;
    out.push(...keys);
  } while (cursor !== '0');
  return out.sort();
}

function conflicts(r: VerifyResult): Conflict[] {
  return r.final.dbs.flatMap((d) => d.sample);
}

describe('the real servers: vector sets are Redis 8\'s built-in module "vectorset"', () => {
  it.each<ServerName>(['redis-8.0', 'redis-8.6'])('%s lists it in MODULE LIST and TYPE names it; the servers without it refuse VADD', async (name) => {
    const [s, valkey] = await Promise.all([RedisServer.start({ server: name }), RedisServer.start({ server: 'valkey-8.1' })]);
    const c = s.client();
    const v = valkey.client();
    try {
      expect(JSON.stringify(await c.call('MODULE', 'LIST'))).toContain('"vectorset"');
      expect(await c.call('VADD', 'k', 'VALUES', 3, 1, 2, 3, 'e1')).toBe(1);
      expect(await c.type('k')).toBe('vectorset');
      // Its DUMP payload is RDB type 7 (MODULE_2), the module id after 0x81.
      const dump = await c.dumpBuffer('k');
      expect([dump[0], dump[1]]).toEqual([7, 0x81]);
      await expect(v.call('VADD', 'k', 'VALUES', 3, 1, 2, 3, 'e1')).rejects.toThrow(/unknown command/i);
      expect(await v.call('MODULE', 'LIST')).toEqual([]);
    } finally {
      c.disconnect();
      v.disconnect();
      await Promise.all([s.stop(), valkey.stop()]);
    }
  });
});

describe.each<[ServerName, ServerName]>([['redis-8.0', 'redis-8.6'], ['redis-8.6', 'redis-8.0']])('vector sets from %s into %s (which loads the module)', (sourceName, targetName) => {
  let source: RedisServer;
  let target: RedisServer;
  let src: Redis;
  let dst: Redis;

  beforeAll(async () => {
    [source, target] = await Promise.all([startSource({ server: sourceName }), RedisServer.start({ server: targetName })]);
    src = source.client();
    dst = target.client();
    await seedVectorSets(src, 1500);
  });
  afterAll(async () => {
    src?.disconnect();
    dst?.disconnect();
    await Promise.all([source?.stop(), target?.stop()]);
  });

  it('the precheck passes the modules item; a full migration RESTOREs every set (the big one too), the stream carries VADD/VREM/VSETATTR, and both sides hold the same sets', async () => {
    const input: PrecheckInput = {
      source: { ...endpointOf(source), mode: 'standalone' },
      target: { ...endpointOf(target), mode: 'standalone' },
      options: { syncTypes: 'full+incremental', conflictMode: 'block', dbs: [{ db: 0, targetDb: 0 }] },
    };
    const [modules] = await runPrechecks(input, { only: ['source-modules'] });
    expect(modules).toMatchObject({ status: 'passed' });
    expect(modules.reason).toMatch(/loads the source's module "vectorset": their keys are copied as they are \(RESTORE\)/);

    // A threshold below the big set's size: it arrives in pieces, and is RESTOREd whole at its end.
    const run = runTask({ source: endpointOf(source), target: endpointOf(target), hooks: { bigKeyThreshold: 32 * 1024 } });
    await waitStage(run, 'incremental');
    expect(run.task.progress.keysDone).toBe(9);
    expect(run.logText()).toMatch(/destination \S+ runs redis 8\.\d+\.\d+ \(RDB 1[23]\), modules vectorset/);
    await vectorSetWrites(src);
    await waitCaughtUp(run, src);

    const keys = await vectorSetKeys(src);
    expect(keys).toEqual(['vs:big', 'vs:bin', 'vs:f32', 'vs:m32', 'vs:new', 'vs:q8', 'vs:reduce']);
    expect(await vectorSetKeys(dst)).toEqual(keys);
    for (const key of keys) expect(await vectorSetContent(dst, key), key).toEqual(await vectorSetContent(src, key));
    expect(await dst.call('VGETATTR', 'vs:q8', 'e7')).toBe('{"year":2001}');
    expect(Number(await dst.call('VCARD', 'vs:big'))).toBe(1500);
    // Every key, by DEBUG DIGEST-VALUE (a vector set digests its elements, vectors and attributes) and expiry.
    await expectEqual(src, dst, { dbs: [0] });
    const progress = await endTask(run);
    expect(progress.commandsApplied).toBeGreaterThan(25);
  });

  it('the verifier finds them equal, by digest and by content, and names an element that differs', async () => {
    const base = { source: endpointOf(source), target: endpointOf(target), rounds: 1, intervalMs: 0 };
    for (const useDigest of [true, false]) {
      const r = await verify({ ...base, useDigest });
      expect(conflicts(r), `useDigest ${useDigest}`).toEqual([]);
      expect(r.final.keysChecked).toBeGreaterThanOrEqual(9);
    }
    // The destination made to differ: an attribute, a removed element, a vector.
    await dst.call('VSETATTR', 'vs:q8', 'e3', '{"year":1}');
    await dst.call('VREM', 'vs:f32', 'f1');
    await dst.call('VADD', 'vs:m32', 'VALUES', 3, 9, 9, 9, 'm2', 'M', 32);
    for (const useDigest of [true, false]) {
      const found = conflicts(await verify({ ...base, useDigest }));
      const byKey = Object.fromEntries(found.map((c) => [c.key, c]));
      expect(Object.keys(byKey).sort(), `useDigest ${useDigest}`).toEqual(['vs:f32', 'vs:m32', 'vs:q8']);
      expect(byKey['vs:q8']).toMatchObject({ kind: 'value', keyType: 'vectorset', field: 'e3 (attributes)', target: '{"year":1}' });
      expect(byKey['vs:f32']).toMatchObject({ kind: 'value', keyType: 'vectorset', field: 'f1', source: 'element', target: '(missing)' });
      expect(byKey['vs:m32']).toMatchObject({ kind: 'value', keyType: 'vectorset', field: 'm2 (vector)' });
    }
  });

  it('a VADD that changes an element the set has is not propagated by Redis (its own replicas miss it too): the verifier names the element', async () => {
    const replica = await RedisServer.start({ server: sourceName, args: ['--replicaof', '127.0.0.1', String(source.port)] });
    const r = replica.client();
    try {
      await waitFor(async () => /master_link_status:up/.test(await r.info('replication')) && Number(await r.call('VCARD', 'vs:q8')) > 0, 20_000, 'the replica to sync');
      const run = runTask({ source: endpointOf(source), target: endpointOf(target), type: 'incremental' });
      await waitStage(run, 'incremental');
      const before = await src.callBuffer('VEMB', 'vs:q8', 'e4', 'RAW');
      expect(await src.call('VADD', 'vs:q8', 'VALUES', 8, ...vector(8), 'e4', 'SETATTR', '{"changed":true}')).toBe(0);
      await src.set('after', 'x'); // something the stream does carry, to know it went by
      await waitCaughtUp(run, src);
      await waitFor(async () => (await r.get('after')) === 'x', 10_000, 'the replica to get the write after it');
      // Redis's own replica and the destination hold the old vector and no attributes: the stream had nothing of it.
      for (const c of [r, dst]) {
        expect(await c.callBuffer('VEMB', 'vs:q8', 'e4', 'RAW')).toEqual(before);
        expect(await c.call('VGETATTR', 'vs:q8', 'e4')).toBeNull();
      }
      await endTask(run);
      const found = conflicts(await verify({ source: endpointOf(source), target: endpointOf(target), rounds: 1, intervalMs: 0, useDigest: false }));
      const q8 = found.find((c) => c.key === 'vs:q8')!;
      expect(q8.kind).toBe('value');
      expect([q8.field, ...(q8.moreFields ?? [])]).toContain('e4 (vector)');
    } finally {
      r.disconnect();
      await replica.stop();
    }
  });
});

describe('vector sets into a Redis 8.0 cluster', () => {
  let source: RedisServer;
  let cluster: RedisCluster;

  beforeAll(async () => {
    [source, cluster] = await Promise.all([startSource({ server: 'redis-8.0' }), RedisCluster.start(3, { server: 'redis-8.0' })]);
  });
  afterAll(async () => {
    await Promise.all([source?.stop(), cluster?.stop()]);
  });

  it('each set is RESTOREd on the master of its slot, and the stream\'s VADD/VREM/VSETATTR are routed by their key', async () => {
    const src = source.client();
    const masters = cluster.nodes.map((n) => n.client());
    const keys = Array.from({ length: 12 }, (_, i) => `vs:c${i}`);
    try {
      for (const key of keys) for (let e = 0; e < 5; e++) await src.call('VADD', key, 'VALUES', 4, ...vector(4), `e${e}`);
      const run = runTask({ source: endpointOf(source), target: endpointOf(cluster.nodes[0]) });
      await waitStage(run, 'incremental');
      for (const [i, key] of keys.entries()) {
        await src.call('VADD', key, 'VALUES', 4, ...vector(4), 'late', 'SETATTR', `{"i":${i}}`);
        await src.call('VREM', key, 'e0');
        await src.call('VSETATTR', key, 'e1', `{"k":"${key}"}`);
      }
      await waitCaughtUp(run, src);
      const used = new Set<number>();
      for (const key of keys) {
        // The master that owns its slot (the others answer MOVED) holds it, equal to the source's.
        const owners: number[] = [];
        for (const [i, m] of masters.entries()) {
          const there = await m.exists(key).catch((err: Error) => (/^MOVED/.test(err.message) ? -1 : Promise.reject(err)));
          if (there >= 0) {
            expect(there, key).toBe(1);
            owners.push(i);
          }
        }
        expect(owners, key).toHaveLength(1);
        used.add(owners[0]);
        expect(await vectorSetContent(masters[owners[0]], key), key).toEqual(await vectorSetContent(src, key));
      }
      expect(used.size).toBe(3);
      await endTask(run);
    } finally {
      src.disconnect();
      for (const m of masters) m.disconnect();
    }
  });
});

/** The servers without vector sets (Valkey 8.0 is fetched where Debian still has it). */
const WITHOUT: ServerName[] = ['redis-6.0', 'redis-7.0', 'valkey-8.1', 'valkey-9.1', ...(serverAvailable('valkey-8.0') ? ['valkey-8.0' as const] : [])];

describe('vector sets from Redis 8.0 into a destination without the module', () => {
  let source: RedisServer;
  let empty: RedisServer;
  const targets = new Map<ServerName, RedisServer>();

  beforeAll(async () => {
    [source, empty] = await Promise.all([startSource({ server: 'redis-8.0' }), startSource({ server: 'redis-8.0' })]);
    const started = await Promise.all(WITHOUT.map((name) => RedisServer.start({ server: name })));
    WITHOUT.forEach((name, i) => targets.set(name, started[i]));
    const c = source.client();
    for (let i = 0; i < 30; i++) await c.set(`a:${i}`, 'v');
    await c.call('VADD', 'vs:1', 'VALUES', 3, 1, 2, 3, 'e1');
    c.disconnect();
    const e = empty.client();
    for (let i = 0; i < 30; i++) await e.set(`a:${i}`, 'v');
    await e.hset('h', 'f', 'v');
    e.disconnect();
  });
  afterAll(async () => {
    await Promise.all([source, empty, ...targets.values()].map((s) => s?.stop()));
  });

  const precheck = async (from: RedisServer, to: RedisServer): Promise<PrecheckResult> => {
    const [r] = await runPrechecks({
      source: { ...endpointOf(from), mode: 'standalone' },
      target: { ...endpointOf(to), mode: 'standalone' },
      options: { syncTypes: 'full+incremental', conflictMode: 'block', dbs: [{ db: 0, targetDb: 0 }] },
    }, { only: ['source-modules'] });
    return r;
  };

  it.each(WITHOUT)('into %s: the precheck fails naming the key and the module; the task fails at the key, naming both', async (name) => {
    const to = targets.get(name)!;
    const r = await precheck(source, to);
    expect(r).toMatchObject({ status: 'failed', ignorable: true });
    expect(r.reason).toMatch(/The source holds 1 key\(s\) of module "vectorset" \(e\.g\. "vs:1"\), which the destination \((Redis|Valkey) [\d.]+\) does not load/);
    expect(r.details.join('\n')).toMatch(/Keys of module "vectorset" \(type vectorset\) in the selected DBs: 1, e\.g\. "vs:1"/);
    expect(r.fix).toMatch(/vector sets are built into Redis 8\.0/);

    const run = runTask({ source: endpointOf(source), target: endpointOf(to), type: 'full' });
    await run.done;
    const err = run.error();
    expect(err).toBeInstanceOf(DtsError);
    expect((err as DtsError).code).toBe('MODULE_TYPE');
    expect((err as DtsError).message).toMatch(/^key "vs:1" holds a value of module type vectorset \(module "vectorset"\), which the destination/);
    expect((err as DtsError).message).not.toMatch(/^ERR/);
    expect((err as DtsError).hint).toMatch(/load the module "vectorset" on the destination/);
    const t = to.client();
    expect(await t.exists('vs:1')).toBe(0);
    await t.flushall();
    t.disconnect();
  });

  it('a source that loads the module but holds no vector set passes; a VADD in its stream then fails the task naming the command and the key', async () => {
    const to = targets.get('valkey-8.1')!;
    const r = await precheck(empty, to);
    expect(r.status).toBe('passed');
    expect(r.reason).toMatch(/loads "vectorset", which the destination \(Valkey 8\.1\.\d+\) does not load, but the selected DBs hold no keys of its types/);

    const run = runTask({ source: endpointOf(empty), target: endpointOf(to) });
    await waitStage(run, 'incremental');
    const e = empty.client();
    await e.set('before', 'x');
    await e.call('VADD', 'vs:late', 'VALUES', 2, 0.5, 0.5, 'x');
    e.disconnect();
    await waitFor(() => run.finished(), 20_000, 'the task to stop at the VADD');
    const err = run.error() as DtsError;
    expect(err.code).toBe('COMMAND_UNSUPPORTED_BY_DESTINATION');
    expect(err.message).toMatch(/^the source sent VADD \(key "vs:late"\): a write to a vector set \(module "vectorset"\), which the destination \(Valkey 8\.1\.\d+\) cannot carry/);
    expect(err.hint).toMatch(/Redis 8\.0\+/);
    const t = to.client();
    expect(await t.get('before')).toBe('x');
    await t.flushall();
    t.disconnect();
  });

  it('with the vector sets left out by a key filter, as the hint says, the rest is carried, the stream\'s VADD included', async () => {
    const to = targets.get('valkey-8.1')!;
    const run = runTask({ source: endpointOf(source), target: endpointOf(to), filter: { excludePrefixes: ['vs:'] } });
    await waitStage(run, 'incremental');
    const c = source.client();
    await c.call('VADD', 'vs:2', 'VALUES', 2, 1, 0, 'x');
    await c.call('VREM', 'vs:1', 'e1');
    await c.set('a:after', 'y');
    await waitCaughtUp(run, c);
    const t = to.client();
    expect(await t.get('a:after')).toBe('y');
    expect(await t.get('a:29')).toBe('v');
    expect(await t.exists('vs:1', 'vs:2')).toBe(0);
    await endTask(run);
    await c.call('VADD', 'vs:1', 'VALUES', 3, 1, 2, 3, 'e1'); // as the other tests found it
    await c.del('vs:2', 'a:after');
    await t.flushall();
    c.disconnect();
    t.disconnect();
  });

  it('a destination whose MODULE LIST is refused: RESTORE tells, and its refusal names the key and the module instead of a bare "ERR"', async () => {
    const hidden = await RedisServer.start({ args: ['--rename-command', 'MODULE', '""'] });
    try {
      const run = runTask({ source: endpointOf(source), target: endpointOf(hidden), type: 'full' });
      await run.done;
      const err = run.error() as DtsError;
      expect(err.code).toBe('MODULE_TYPE');
      expect(err.message).toMatch(/^key "vs:1" holds a value of module type vectorset \(module "vectorset"\), which the destination 127\.0\.0\.1:\d+ refused \(.+\): it does not load that module/);
    } finally {
      await hidden.stop();
    }
  });
});
