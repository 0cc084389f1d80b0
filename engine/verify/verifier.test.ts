/**
 * The Verifier against real redis-server 7.0 processes: a source, a destination
 * with DEBUG enabled and a destination with DEBUG disabled (the production default).
 */
import Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRedisUrl } from '../endpoint';
import { RedisServer } from '../testing/redis-server';
import { BINARY_KEY, bigHash, copyDb, populate } from './testing/dataset';
import { Verifier, verify, type Conflict, type VerifierOptions, type VerifyProgress, type VerifyResult } from './index';

let src: RedisServer;
let dst: RedisServer;
let nodebug: RedisServer;
const clients: Redis[] = [];

function client(s: RedisServer, db = 0): Redis {
  const c = new Redis({ host: '127.0.0.1', port: s.port, db });
  clients.push(c);
  return c;
}

function opts(target: RedisServer, more: Partial<VerifierOptions> = {}): VerifierOptions {
  return { source: parseRedisUrl(src.url), target: parseRedisUrl(target.url), rounds: 1, intervalMs: 0, ...more };
}

/** Conflicts of the last round, all DBs. */
function conflicts(r: VerifyResult): Conflict[] {
  return r.final.dbs.flatMap((d) => d.sample);
}

function byKey(r: VerifyResult): Record<string, Conflict[]> {
  const out: Record<string, Conflict[]> = {};
  for (const c of conflicts(r)) (out[c.key] ??= []).push(c);
  return out;
}

beforeAll(async () => {
  [src, dst, nodebug] = await Promise.all([
    RedisServer.start(),
    RedisServer.start(),
    // The harness passes --enable-debug-command yes first; the last occurrence wins.
    RedisServer.start({ config: { 'enable-debug-command': 'no' } }),
  ]);
});

afterAll(async () => {
  for (const c of clients) c.disconnect();
  await Promise.all([src?.stop(), dst?.stop(), nodebug?.stop()]);
});

describe('identical copy', () => {
  beforeAll(async () => {
    const s0 = client(src, 0);
    const s1 = client(src, 1);
    await populate(s0);
    await s1.set('db1:only', 'one');
    await s1.hset('db1:hash', 'f', 'v');
    for (const t of [dst, nodebug]) {
      await copyDb(s0, client(t, 0));
      await copyDb(s1, client(t, 1));
    }
  });

  it('the DEBUG-disabled destination really refuses DEBUG', async () => {
    const c = client(nodebug);
    expect(await c.config('GET', 'enable-debug-command')).toEqual(['enable-debug-command', 'no']);
    await expect(c.call('DEBUG', 'DIGEST-VALUE', 'x')).rejects.toThrow(/DEBUG command not allowed/);
  });

  it('finds zero differences in every mode, with and without DEBUG DIGEST-VALUE', async () => {
    const filter = { dbs: [0, 1] };
    const runs: [string, VerifyResult][] = [];
    runs.push(['full+digest', await verify(opts(dst, { filter }))]);
    runs.push(['full, values read', await verify(opts(dst, { filter, useDigest: false }))]);
    runs.push(['full, DEBUG disabled', await verify(opts(nodebug, { filter }))]);
    runs.push(['length', await verify(opts(nodebug, { filter, mode: 'length' }))]);
    runs.push(['keys', await verify(opts(dst, { filter, mode: 'keys' }))]);
    runs.push(['full-length-above', await verify(opts(nodebug, { filter, mode: 'full-length-above', bigKeyThreshold: 100 }))]);
    for (const [name, r] of runs) {
      expect({ name, conflicts: conflicts(r) }).toEqual({ name, conflicts: [] });
      expect(r.equal).toBe(true);
      expect(r.rounds).toHaveLength(1);
      expect(r.final.dbs.map((d) => d.db)).toEqual([0, 1]);
      expect(r.final.dbs[0].keysChecked).toBe(16);
      expect(r.final.dbs[1].keysChecked).toBe(2);
    }
    expect(runs[0][1].settings.digest).toBe(true);
    expect(runs[1][1].settings.digest).toBe(false);
    expect(runs[2][1].settings.digest).toBe(false);
    expect(runs[2][1].target.debugDigest).toBe(false);
    expect(runs[2][1].source.debugDigest).toBe(true);
  });

  it('reports progress, honours the rate limit, and its result is plain JSON', async () => {
    const progress: VerifyProgress[] = [];
    const t0 = Date.now();
    const r = await verify(opts(dst, { filter: { dbs: [0] }, rateLimit: 40, batchSize: 4, onProgress: (p) => progress.push(p) }));
    // 16 keys at 40 keys/s in batches of 4: about 300 ms.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    expect(progress.length).toBeGreaterThanOrEqual(5);
    expect(progress.at(-1)).toMatchObject({ round: 1, keysChecked: 16, keysTotal: 16, conflicts: 0 });
    for (let i = 1; i < progress.length; i++) expect(progress[i].keysChecked).toBeGreaterThanOrEqual(progress[i - 1].keysChecked);
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
    expect(r.settings).toMatchObject({ mode: 'full', rateLimit: 40, rounds: 1, ttlExtendSeconds: 0, ttlToleranceMs: 1000 });
  });

  it('compares every DB with keys on either side when no DB is selected', async () => {
    const r = await verify(opts(dst));
    expect(r.final.dbs.map((d) => d.db)).toEqual([0, 1]);
    expect(r.equal).toBe(true);
  });
});

describe('planted conflicts (DB 2)', () => {
  const db = 2;
  beforeAll(async () => {
    const s = client(src, db);
    await populate(s, 'p:');
    await s.set('p:missing', 'only on the source');
    await s.set('p:type', 'a string');
    await s.set(Buffer.concat([Buffer.from('p:'), BINARY_KEY, Buffer.from('gone')]), 'x');
    for (const t of [dst, nodebug]) {
      const c = client(t, db);
      await copyDb(s, c);
      await c.del('p:missing');
      await c.del(Buffer.concat([Buffer.from('p:'), BINARY_KEY, Buffer.from('gone')]));
      await c.set('p:extra', 'only on the destination');
      await c.del('p:type');
      await c.rpush('p:type', 'now a list');
      await c.set('p:str', 'hello World');
      await c.hset('p:bighash', 'f5000', 'changed');
      await c.zadd('p:zset', 2.5, 'm2');
      await c.pexpire('p:ttl', 7_200_000);
      await c.xreadgroup('GROUP', 'g', 'carol', 'COUNT', 1, 'STREAMS', 'p:stream', '>');
      // Big keys of every type, compared chunk by chunk.
      await c.setrange('p:bigstr', 600_000, 'Z');
      await c.lset('p:biglist', 2500, 'changed');
      await c.srem('p:bigset', 'member10');
      await c.sadd('p:bigset', 'intruder');
      await c.zadd('p:bigzset', 999, 'z100');
      await c.xdel('p:bigstream', '1000-1');
    }
  });

  const expectPlanted = (r: VerifyResult) => {
    const k = byKey(r);
    expect(Object.keys(k).sort()).toEqual(['p:bighash', 'p:biglist', 'p:bigset', 'p:bigstr', 'p:bigstream', 'p:bigzset', 'p:bin\\xff\\x00\\x0agone', 'p:extra', 'p:missing', 'p:str', 'p:stream', 'p:ttl', 'p:type', 'p:zset'].sort());
    expect(k['p:missing']).toMatchObject([{ kind: 'lack_target', keyType: 'string', db: 2, targetDb: 2 }]);
    expect(k['p:bin\\xff\\x00\\x0agone']).toMatchObject([{ kind: 'lack_target' }]);
    expect(k['p:extra']).toMatchObject([{ kind: 'lack_source' }]);
    expect(k['p:type']).toMatchObject([{ kind: 'type', source: 'string', target: 'list' }]);
    expect(k['p:str']).toMatchObject([{ kind: 'value', keyType: 'string', source: 'hello world', target: 'hello World' }]);
    expect(k['p:bighash']).toMatchObject([{ kind: 'value', keyType: 'hash', field: 'f5000', source: 'value-5000', target: 'changed' }]);
    expect(k['p:zset']).toMatchObject([{ kind: 'value', keyType: 'zset', field: 'm2', source: '2', target: '2.5' }]);
    expect(k['p:ttl']).toMatchObject([{ kind: 'ttl', keyType: 'string' }]);
    expect(k['p:stream']).toHaveLength(1);
    expect(k['p:stream'][0]).toMatchObject({ kind: 'value', keyType: 'stream' });
    expect(k['p:stream'][0].field).toMatch(/^group g /);
    expect(k['p:bigstr']).toMatchObject([{ kind: 'value', field: 'offset 600000', source: 'x'.repeat(64), target: `Z${'x'.repeat(63)}` }]);
    expect(k['p:biglist']).toMatchObject([{ kind: 'value', field: '[2500]', source: 'item2500', target: 'changed' }]);
    expect(k['p:bigset']).toMatchObject([{ kind: 'value', field: 'member10', source: 'member', target: '(missing)', moreFields: ['intruder'] }]);
    expect(k['p:bigzset']).toMatchObject([{ kind: 'value', field: 'z100', target: '999' }]);
    expect(k['p:bigstream']).toMatchObject([{ kind: 'value', field: '1000-1', source: 'k v1000', target: '(missing)' }]);
    expect(k['p:bigstream'][0].moreFields).toContain('(max-deleted-entry-id)');
    expect(r.final.counts).toEqual({ lack_target: 2, lack_source: 1, type: 1, value: 9, ttl: 1 });
    expect(r.final.dbs).toHaveLength(1);
    expect(r.equal).toBe(false);
  };

  it('finds each kind with the right field (DEBUG DIGEST-VALUE on both sides)', async () => {
    const r = await verify(opts(dst, { filter: { dbs: [db] } }));
    expect(r.settings.digest).toBe(true);
    expectPlanted(r);
  });

  it('finds the same with DEBUG disabled on the destination (values read in chunks)', async () => {
    const r = await verify(opts(nodebug, { filter: { dbs: [db] } }));
    expect(r.settings.digest).toBe(false);
    expectPlanted(r);
  });

  it('names the stream group difference and stays silent on volatile consumer fields', async () => {
    const r = await verify(opts(nodebug, { filter: { dbs: [db], includePrefixes: ['p:stream'] } }));
    const [c] = conflicts(r);
    expect(c.field).toBe('group g last-delivered-id');
    // entries-read and lag are not tracked on this stream (it has a deleted entry), so they agree.
    expect(c.moreFields).toEqual(['group g pel-count', 'group g pending 7-0', 'group g consumer carol']);
    // A copy whose consumers were last seen at another time is still equal.
    const s = client(src, 3);
    const t = client(nodebug, 3);
    await s.xadd('seen', '1-1', 'a', '1');
    await s.xgroup('CREATE', 'seen', 'g', '0');
    await s.xreadgroup('GROUP', 'g', 'c', 'COUNT', 1, 'STREAMS', 'seen', '>');
    await copyDb(s, t);
    await new Promise((res) => setTimeout(res, 20));
    await s.xreadgroup('GROUP', 'g', 'c', 'COUNT', 1, 'STREAMS', 'seen', '>'); // nothing new: only seen-time moves
    const r2 = await verify(opts(nodebug, { filter: { dbs: [3] } }));
    expect(conflicts(r2)).toEqual([]);
    await s.del('seen');
    await t.del('seen');
  });
});

describe('rounds (DB 4)', () => {
  const db = 4;
  beforeAll(async () => {
    const s = client(src, db);
    for (let i = 0; i < 50; i++) await s.set(`r:${i}`, `v${i}`);
    await copyDb(s, client(dst, db));
    await copyDb(s, client(nodebug, db));
  });

  it('a difference fixed after round 1 is reported in round 1 and gone in the final result', async () => {
    const t = client(dst, db);
    await t.set('r:7', 'stale');
    const r = await verify(opts(dst, {
      filter: { dbs: [db] }, rounds: 3, intervalMs: 200,
      onRound: async (round) => {
        if (round.round === 1) await t.set('r:7', 'v7'); // replication catches up
      },
    }));
    expect(r.rounds).toHaveLength(2); // nothing left to recheck after round 2
    expect(r.rounds[0]).toMatchObject({ scope: 'all', keysChecked: 50, conflicts: 1, counts: { value: 1 } });
    expect(r.rounds[0].dbs[0].sample).toMatchObject([{ key: 'r:7', kind: 'value', source: 'v7', target: 'stale' }]);
    expect(r.rounds[1]).toMatchObject({ scope: 'recheck', keysChecked: 1, conflicts: 0 });
    expect(r.final).toBe(r.rounds[1]);
    expect(r.equal).toBe(true);
  });

  it('a difference that stays is rechecked alone in every round, after the interval', async () => {
    const t = client(nodebug, db);
    await t.set('r:9', 'wrong');
    await t.set('r:extra', 'x');
    const t0 = Date.now();
    const r = await verify(opts(nodebug, { filter: { dbs: [db] }, rounds: 3, intervalMs: 150 }));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
    expect(r.rounds.map((x) => [x.scope, x.keysChecked, x.conflicts])).toEqual([['all', 51, 2], ['recheck', 2, 2], ['recheck', 2, 2]]);
    expect(r.final.counts).toMatchObject({ value: 1, lack_source: 1 });
    expect(r.equal).toBe(false);
    await t.set('r:9', 'v9');
    await t.del('r:extra');
  });

  it('falls back to a full round when more keys differ than it keeps for a recheck', async () => {
    const t = client(nodebug, db);
    await t.set('r:1', 'x');
    await t.set('r:2', 'x');
    await t.set('r:3', 'x');
    const r = await verify(opts(nodebug, { filter: { dbs: [db] }, rounds: 2, intervalMs: 10, maxRecheckKeys: 2 }));
    expect(r.rounds[0].recheckOverflow).toBe(true);
    expect(r.rounds[1]).toMatchObject({ scope: 'all', keysChecked: 50, conflicts: 3 });
    for (const k of ['r:1', 'r:2', 'r:3']) await t.set(k, `v${k.slice(2)}`);
  });
});

describe('a copy still receiving writes (DB 9)', () => {
  it('converges to zero: keys in flight in round 1 are equal when rechecked', async () => {
    const s = client(src, 9);
    const t = client(dst, 9);
    for (let i = 0; i < 200; i++) await s.set(`old:${i}`, String(i));
    await copyDb(s, t);
    // The "replication": every write reaches the destination 150 ms after the source, all through the verification.
    let n = 0;
    let writing = true;
    const inFlight: Promise<unknown>[] = [];
    const writer = (async () => {
      while (writing) {
        const key = `live:${n++}`;
        await s.set(key, 'v');
        inFlight.push(new Promise((res) => setTimeout(res, 150)).then(() => t.set(key, 'v')));
        await new Promise((res) => setTimeout(res, 2));
      }
    })();
    await new Promise((res) => setTimeout(res, 200));
    try {
      const r = await verify(opts(dst, { filter: { dbs: [9] }, rounds: 3, intervalMs: 500 }));
      expect(r.rounds[0].counts.lack_target).toBeGreaterThan(0);
      expect(r.rounds[0].dbs[0].sample.every((c) => c.key.startsWith('live:'))).toBe(true);
      expect(r.final.conflicts).toBe(0);
      expect(r.equal).toBe(true);
    } finally {
      writing = false;
      await writer;
      await Promise.all(inFlight);
    }
  });
});

describe('DB mapping and key prefixes (source DB 5 → destination DB 6)', () => {
  beforeAll(async () => {
    const s = client(src, 5);
    await s.mset({ 'a:1': '1', 'a:2': '2', 'b:1': '1', 't:1': '1' });
    const t = client(dst, 6);
    await copyDb(s, t);
    await t.set('a:2', 'changed');
    await t.set('b:1', 'changed');
    await t.set('t:1', 'changed');
    await t.set('a:extra', 'x');
    await t.set('b:extra', 'x');
    await t.set('DTS_REDIS_TIMESTAMP_HEARTBEAT_task1', '123');
    // Destination DB 5 is not where source DB 5 goes: never looked at.
    await client(dst, 5).set('a:unrelated', 'x');
  });

  it('compares source DB 5 with destination DB 6, only keys with the included prefix', async () => {
    const r = await verify(opts(dst, { filter: { dbs: [5], dbMap: new Map([[5, 6]]), includePrefixes: ['a:'] } }));
    expect(r.final.dbs).toMatchObject([{ db: 5, targetDb: 6 }]);
    expect(conflicts(r).map((c) => [c.key, c.kind]).sort()).toEqual([['a:2', 'value'], ['a:extra', 'lack_source']]);
  });

  it('leaves out excluded prefixes and the heartbeat key', async () => {
    const r = await verify(opts(dst, { filter: { dbs: [5], dbMap: new Map([[5, 6]]), excludePrefixes: ['t:', 'b:'] } }));
    expect(conflicts(r).map((c) => [c.key, c.kind]).sort()).toEqual([['a:2', 'value'], ['a:extra', 'lack_source']]);
    const all = await verify(opts(dst, { filter: { dbs: [5], dbMap: new Map([[5, 6]]), includePrefixes: ['a:', 'b:', 't:'] } }));
    expect(conflicts(all).map((c) => c.key).sort()).toEqual(['a:2', 'a:extra', 'b:1', 'b:extra', 't:1']);
  });
});

describe('modes (DB 7)', () => {
  const db = 7;
  beforeAll(async () => {
    const s = client(src, db);
    await bigHash(s, 'h:big', 10_000);
    await bigHash(s, 'h:grown', 10_000);
    await s.set('s', 'abc');
    await s.rpush('l', 'a', 'b');
    await s.set('k:gone', 'x');
    for (const server of [dst, nodebug]) {
      const t = client(server, db);
      await copyDb(s, t);
      await t.hset('h:big', 'f123', 'value-124');
      await t.hset('h:grown', 'new-field', 'x');
      await t.set('s', 'abd');
      await t.rpush('l', 'c');
      await t.del('k:gone');
    }
  });

  const summary = (r: VerifyResult) => conflicts(r).map((c) => `${c.key} ${c.kind}${c.field ? ` ${c.field}` : ''}`).sort();

  it.each([['DEBUG on', () => dst], ['DEBUG off', () => nodebug]])('full finds the changed field of a 10k-field hash (%s)', async (_, target) => {
    const r = await verify(opts(target(), { filter: { dbs: [db] } }));
    expect(summary(r)).toEqual(['h:big value f123', 'h:grown value new-field', 'k:gone lack_target', 'l value [2]', 's value']);
  });

  it('full-length-above compares big keys by length only', async () => {
    const r = await verify(opts(nodebug, { filter: { dbs: [db] }, mode: 'full-length-above', bigKeyThreshold: 5000 }));
    expect(summary(r)).toEqual(['h:grown value (length)', 'k:gone lack_target', 'l value [2]', 's value']);
    expect(byKey(r)['h:grown'][0]).toMatchObject({ source: '10000', target: '10001' });
    // Under the threshold the same hash is compared in full.
    const r2 = await verify(opts(nodebug, { filter: { dbs: [db] }, mode: 'full-length-above', bigKeyThreshold: 20_000 }));
    expect(summary(r2)).toContain('h:big value f123');
  });

  it('length compares lengths, keys compares existence only', async () => {
    const length = await verify(opts(dst, { filter: { dbs: [db] }, mode: 'length' }));
    expect(summary(length)).toEqual(['h:grown value (length)', 'k:gone lack_target', 'l value (length)']);
    const keys = await verify(opts(dst, { filter: { dbs: [db] }, mode: 'keys' }));
    expect(summary(keys)).toEqual(['k:gone lack_target']);
  });
});

describe('expiry (DB 8)', () => {
  const db = 8;
  const at = Date.now() + 3_600_000;
  beforeAll(async () => {
    const s = client(src, db);
    const t = client(dst, db);
    for (const k of ['e:ext', 'e:near', 'e:none']) await s.set(k, 'v', 'PXAT', at);
    await s.set('e:persist', 'v');
    await t.set('e:ext', 'v', 'PXAT', at + 60_000);
    await t.set('e:near', 'v', 'PXAT', at + 60_500);
    await t.set('e:none', 'v');
    await t.set('e:persist', 'v', 'PXAT', at + 60_000);
  });

  it('takes the TTL extension off the destination expiry and applies the tolerance', async () => {
    const filter = { dbs: [db] };
    const plain = await verify(opts(dst, { filter }));
    expect(Object.keys(byKey(plain)).sort()).toEqual(['e:ext', 'e:near', 'e:none', 'e:persist']);
    const extended = await verify(opts(dst, { filter, ttlExtendSeconds: 60 }));
    expect(Object.keys(byKey(extended)).sort()).toEqual(['e:none', 'e:persist']);
    expect(byKey(extended)['e:none'][0]).toMatchObject({ kind: 'ttl', source: new Date(at).toISOString(), target: 'no expiry' });
    const strict = await verify(opts(dst, { filter, ttlExtendSeconds: 60, ttlToleranceMs: 0 }));
    expect(Object.keys(byKey(strict)).sort()).toEqual(['e:near', 'e:none', 'e:persist']);
    expect(byKey(strict)['e:near'][0].target).toContain('after taking off the 60 s extension');
  });
});

describe('errors', () => {
  it('a refused connection names the side and the address', async () => {
    const v = new Verifier({ source: parseRedisUrl(src.url), target: { host: '127.0.0.1', port: 1 } });
    await expect(v.run()).rejects.toThrow('connection refused by the destination 127.0.0.1:1: ');
  });

  it('rejects bad options before connecting', () => {
    expect(() => new Verifier(opts(dst, { rounds: 0 }))).toThrow(/rounds/);
  });
});
