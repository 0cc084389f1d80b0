/**
 * Against a real redis-server 7.0: encoding thresholds at extremes, data that produces every
 * encoding 7.0 has, SAVE, parse dump.rdb with the streaming file reader, and check every key
 * against what the server returns. The raw value bytes must equal DUMP's payload and RESTORE
 * into a second server with an identical DEBUG DIGEST-VALUE.
 */
import fs from 'node:fs';
import path from 'node:path';
import type Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareKeyByKey } from '../testing/compare';
import { RedisServer } from '../testing/redis-server';
import { buildDumpPayload } from './dump';
import { parseScoreText } from './elements';
import { parseRdbFile } from './parser';
import { Reader } from './reader';
import { assembleKeys, canonical, parseChunked, parseWhole, type AssembledKey } from './testing/parse';
import { prng } from '../testing/prng';
import type { HashEntry, RdbEvent, StreamValue, ZsetEntry } from './types';

const DBS = [0, 1, 5, 15];
const FUTURE = Date.now() + 3_600_000;

let src: RedisServer;
let dst: RedisServer;
let c: Redis;
let d: Redis;
let events: RdbEvent[] = [];
let keys: AssembledKey[] = [];
let file: Buffer;

function rndBytes(rnd: () => number, n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(rnd() * 256);
  return b;
}

async function populate(client: Redis): Promise<void> {
  const rnd = prng(2024);
  await client.call('DEBUG', 'QUICKLIST-PACKED-THRESHOLD', '100');
  await client.select(0);
  // Strings: int, embstr, raw, LZF-compressible, binary, empty, 64-bit int text.
  await client.set('str:int', '12345');
  await client.set('str:negint', '-99');
  await client.set('str:int64', '12345678901');
  await client.set('str:embstr', 'hello world');
  await client.set(Buffer.from('str:raw'), rndBytes(rnd, 300));
  await client.set('str:lzf', 'abcdefgh'.repeat(200));
  await client.set(Buffer.from([0, 1, 2, 255, 254]), Buffer.from(Array.from({ length: 256 }, (_, i) => i)));
  await client.set('str:empty', '');
  await client.set('str:expiring', 'soon', 'PXAT', FUTURE);
  // Lists: tiny listpack nodes (size 4), compressed inner nodes (depth 1), plain nodes (> 100 bytes).
  await client.rpush('list:small', 'a', '1', '-5', '9223372036854775807');
  const long: string[] = [];
  for (let i = 0; i < 200; i++) long.push(i % 5 === 0 ? String(i * 1000) : `element-${i}-${'z'.repeat(i % 40)}`);
  await client.rpush('list:long', ...long);
  await client.rpush('list:plain', 'x'.repeat(300), 'small', Buffer.from(rndBytes(rnd, 500)), 'tail');
  await client.lpush('list:expiring', 'a', 'b');
  await client.pexpireat('list:expiring', FUTURE + 1);
  // Sets: intset 16/32/64, hashtable (strings, or too many ints).
  await client.sadd('set:int16', 1, 2, 3, -5, 32767);
  await client.sadd('set:int32', 70000, -70000, 1);
  await client.sadd('set:int64', '1099511627776', '-4611686018427387904', '7');
  await client.sadd('set:strings', 'alpha', 'beta', 'gamma');
  await client.sadd('set:manyints', ...Array.from({ length: 20 }, (_, i) => i * 7));
  // Sorted sets: listpack (≤ 4 entries) and skiplist, awkward scores.
  await client.zadd('zset:small', 'inf', 'a', '-inf', 'b', '0.1', 'c', '-0', 'd');
  await client.zadd('zset:skiplist', 'inf', 'p', '-inf', 'n', '0.1', 'a', '1e-300', 'b', '-0', 'c', '9007199254740993', 'd', '1.5', 'e', '-2.5e+200', 'f', '3', 'g');
  await client.zadd('zset:longmember', '1', 'm'.repeat(100));
  // Hashes: listpack, hashtable by count, hashtable by value size.
  await client.hset('hash:small', 'f1', 'v1', 'n', '42', 'neg', '-7');
  await client.hset('hash:many', ...Array.from({ length: 30 }, (_, i) => [`field${i}`, i % 2 ? String(i) : `v${i}`]).flat());
  await client.hset('hash:bigvalue', 'f', 'x'.repeat(100), 'g', 'y');
  // Streams: several nodes (4 entries each), mixed field sets, deletions, trims, groups.
  for (let i = 0; i < 30; i++) {
    const fields = i % 3 === 0 ? ['other', `o${i}`] : ['name', `n${i}`, 'value', String(i)];
    await client.xadd('stream:main', `${1000 + i}-${i % 2}`, ...fields);
  }
  await client.xdel('stream:main', '1003-1', '1010-0', '1011-1');
  await client.xtrim('stream:main', 'MAXLEN', 25);
  await client.xgroup('CREATE', 'stream:main', 'g1', '0');
  await client.xgroup('CREATE', 'stream:main', 'g2', '$');
  await client.xreadgroup('GROUP', 'g1', 'alice', 'COUNT', 3, 'STREAMS', 'stream:main', '>');
  await client.xreadgroup('GROUP', 'g1', 'bob', 'COUNT', 2, 'STREAMS', 'stream:main', '>');
  const pending = (await client.xpending('stream:main', 'g1', '-', '+', 10)) as [string, string, number, number][];
  await client.xack('stream:main', 'g1', pending[0]![0]);
  await client.call('XGROUP', 'CREATECONSUMER', 'stream:main', 'g2', 'carol');
  await client.xadd('stream:empty', '5-5', 'f', 'v');
  await client.xdel('stream:empty', '5-5');
  await client.xadd('stream:trimmed', 'MAXLEN', '0', '*', 'f', 'v');
  // Functions.
  await client.call('FUNCTION', 'LOAD', "#!lua name=testlib\nredis.register_function('answer', function() return 42 end)");
  // Other databases.
  for (const db of DBS.slice(1)) {
    await client.select(db);
    await client.set(`db${db}:string`, `in db ${db}`);
    await client.rpush(`db${db}:list`, 'x', 'y');
    await client.set(`db${db}:expiring`, 'v', 'PXAT', FUTURE + db);
  }
  await client.select(0);
}

/** Encoding thresholds at extremes. The destination uses them too: DEBUG DIGEST-VALUE of a zset
 * depends on its encoding (score text in a listpack vs. doubles in a skiplist). */
const CONFIG = {
  'list-max-listpack-size': 4,
  'list-compress-depth': 1,
  'hash-max-listpack-entries': 4,
  'hash-max-listpack-value': 32,
  'zset-max-listpack-entries': 4,
  'zset-max-listpack-value': 32,
  'set-max-intset-entries': 8,
  'stream-node-max-entries': 4,
  rdbcompression: 'yes',
};

beforeAll(async () => {
  src = await RedisServer.start({ config: CONFIG });
  dst = await RedisServer.start({ config: CONFIG });
  c = src.client();
  d = dst.client();
  await populate(c);
  await c.call('SAVE');
  const dump = path.join(src.dir, 'dump.rdb');
  file = fs.readFileSync(dump);
  for await (const batch of parseRdbFile(dump, { highWaterMark: 4096 })) events.push(...batch);
  keys = assembleKeys(events);
});

afterAll(async () => {
  c?.disconnect();
  d?.disconnect();
  await src?.stop();
  await dst?.stop();
});

const b2s = (b: Buffer) => b.toString('latin1');

async function serverKeys(client: Redis, db: number): Promise<string[]> {
  await client.select(db);
  const out: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await client.scanBuffer(cursor, 'COUNT', 1000);
    cursor = String(next);
    out.push(...batch.map(b2s));
  } while (cursor !== '0');
  return out.sort();
}

function pairs(flat: Buffer[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i < flat.length; i += 2) out.push([b2s(flat[i]!), b2s(flat[i + 1]!)]);
  return out;
}

function streamIdStr(id: { ms: bigint; seq: bigint }): string {
  return `${id.ms}-${id.seq}`;
}

function field(reply: unknown[], name: string): any {
  for (let i = 0; i + 1 < reply.length; i += 2) if (String(reply[i]) === name) return reply[i + 1];
  return undefined;
}

describe('RDB from redis-server 7.0', () => {
  it('parses to EOF with a verified checksum and RDB version 10', () => {
    expect(events[0]).toEqual({ type: 'header', magic: 'REDIS', version: 10 });
    expect(events.at(-1)).toMatchObject({ type: 'eof', checksum: 'verified', bytes: file.length });
    expect(events.some((e) => e.type === 'aux' && e.key === 'redis-ver' && e.value.toString().startsWith('7.0'))).toBe(true);
    const fn = events.find((e) => e.type === 'function');
    expect(fn && fn.type === 'function' && fn.source.toString()).toMatch(/^#!lua name=testlib/);
  });

  it('covers every encoding Redis 7.0 writes', () => {
    const types = new Set(keys.map((k) => k.typeId));
    // string, set, hash, zset_2, intset, hash listpack, zset listpack, quicklist2, stream v2
    for (const t of [0, 2, 4, 5, 11, 16, 17, 18, 19]) expect(types, `type ${t}`).toContain(t);
    const raw = (name: string) => keys.find((k) => b2s(k.key) === name)!.raw!;
    expect(raw('str:lzf')[0]).toBe(0xc3); // LZF string
    expect(raw('str:int')[0]).toBe(0xc1); // int16-encoded string
    expect(raw('list:long').includes(Buffer.from([0x02, 0xc3]))).toBe(true); // compressed PACKED node
    expect(raw('list:plain').includes(Buffer.from([0x01, 0x41, 0xf4]))).toBe(true); // PLAIN node of 500 random bytes
    for (const [name, width] of [['set:int16', 2], ['set:int32', 4], ['set:int64', 8]] as const) {
      const k = keys.find((x) => b2s(x.key) === name)!;
      expect(k.typeId).toBe(11);
      const blob = new Reader(k.raw!, 0, k.raw!.length, true, 0, 1 << 20).readString(); // may be LZF
      expect(blob.readUInt32LE(0)).toBe(width);
    }
    expect(keys.filter((k) => k.typeId === 19).length).toBe(3);
  });

  it('has exactly the server’s keys in every DB, with absolute expiry equal to PEXPIRETIME', async () => {
    for (const db of DBS) {
      const ours = keys.filter((k) => k.db === db).map((k) => b2s(k.key)).sort();
      expect(ours).toEqual(await serverKeys(c, db));
      await c.select(db);
      for (const k of keys.filter((x) => x.db === db)) {
        const pt = Number(await c.call('PEXPIRETIME', k.key));
        expect(k.expireAt ?? -1, b2s(k.key)).toBe(pt);
        expect(String(await c.type(k.key))).toBe(k.typeName);
      }
    }
    expect(keys.filter((k) => k.expireAt !== undefined).length).toBe(2 + DBS.length - 1);
    await c.select(0);
  });

  it('every value equals what the server returns', async () => {
    for (const k of keys) {
      await c.select(k.db);
      const name = b2s(k.key);
      switch (k.typeName) {
        case 'string':
          expect(b2s(k.value as Buffer), name).toBe(b2s((await c.getBuffer(k.key))!));
          break;
        case 'list':
          expect((k.value as Buffer[]).map(b2s), name).toEqual((await c.lrangeBuffer(k.key, 0, -1)).map(b2s));
          break;
        case 'set':
          expect((k.value as Buffer[]).map(b2s).sort(), name).toEqual((await c.smembersBuffer(k.key)).map(b2s).sort());
          break;
        case 'zset': {
          const ours = (k.value as ZsetEntry[]).map(([m, s]) => [b2s(m), canonical(s)]).sort();
          const theirs = pairs((await c.callBuffer('ZRANGE', k.key, 0, -1, 'WITHSCORES')) as Buffer[])
            .map(([m, s]) => [m, canonical(parseScoreText(s))])
            .sort();
          expect(ours, name).toEqual(theirs);
          break;
        }
        case 'hash': {
          const ours = (k.value as HashEntry[]).map((e) => [b2s(e[0]), b2s(e[1])]).sort();
          expect(ours, name).toEqual(pairs((await c.callBuffer('HGETALL', k.key)) as Buffer[]).sort());
          break;
        }
        case 'stream': {
          const s = k.value as StreamValue;
          const xr = (await c.callBuffer('XRANGE', k.key, '-', '+')) as [Buffer, Buffer[]][];
          expect(s.entries.map((e) => [streamIdStr(e.id), e.fields.map(b2s)]), name).toEqual(
            xr.map(([id, f]) => [b2s(id), f.map(b2s)]),
          );
          const info = (await c.call('XINFO', 'STREAM', k.key, 'FULL')) as unknown[];
          expect(s.length).toBe(Number(field(info, 'length')));
          expect(streamIdStr(s.lastId)).toBe(field(info, 'last-generated-id'));
          expect(streamIdStr(s.maxDeletedId!)).toBe(field(info, 'max-deleted-entry-id'));
          expect(s.entriesAdded).toBe(Number(field(info, 'entries-added')));
          expect(streamIdStr(s.firstId!)).toBe(field(info, 'recorded-first-entry-id'));
          const groups = (field(info, 'groups') as unknown[][]).map((g) => ({
            name: field(g, 'name'),
            lastId: field(g, 'last-delivered-id'),
            entriesRead: field(g, 'entries-read') === null ? -1 : Number(field(g, 'entries-read')),
            pel: (field(g, 'pending') as unknown[][]).map(([id, , time, count]) => [id, Number(time), Number(count)]),
            consumers: (field(g, 'consumers') as unknown[][]).map((cn) => ({
              name: field(cn, 'name'),
              seenTime: Number(field(cn, 'seen-time')),
              // Redis 7.0 has no active-time in XINFO (7.2+); the RDB then holds seen-time.
              activeTime: field(cn, 'active-time') === undefined ? Number(field(cn, 'seen-time')) : Number(field(cn, 'active-time')),
              pel: (field(cn, 'pending') as unknown[][]).map(([id]) => id),
            })),
          }));
          expect(
            s.groups.map((g) => ({
              name: b2s(g.name),
              lastId: streamIdStr(g.lastId),
              entriesRead: g.entriesRead,
              pel: g.pel.map((p) => [streamIdStr(p.id), p.deliveryTime, p.deliveryCount]),
              consumers: g.consumers.map((cn) => ({
                name: b2s(cn.name),
                seenTime: cn.seenTime,
                activeTime: cn.activeTime,
                pel: cn.pel.map(streamIdStr),
              })),
            })),
            name,
          ).toEqual(groups);
          break;
        }
        default:
          throw new Error(`unexpected type ${k.typeName}`);
      }
    }
    const main = keys.find((k) => b2s(k.key) === 'stream:main')!.value as StreamValue;
    expect(main.groups.map((g) => b2s(g.name))).toEqual(['g1', 'g2']);
    expect(main.groups[0]!.pel.length).toBe(4);
    expect(main.groups[1]!.consumers.map((x) => b2s(x.name))).toEqual(['carol']);
    await c.select(0);
  });

  it('raw bytes give the server’s exact DUMP payload, and RESTORE reproduces every key (digest, TTL, groups)', async () => {
    for (const k of keys) {
      const payload = buildDumpPayload(k.typeId, k.raw!, 10);
      await c.select(k.db);
      const dumped = (await c.callBuffer('DUMP', k.key)) as Buffer;
      expect(payload.equals(dumped), b2s(k.key)).toBe(true);
      await d.select(k.db);
      const args: (string | number | Buffer)[] = [k.key, k.expireAt ?? 0, payload, 'REPLACE'];
      if (k.expireAt !== undefined) args.push('ABSTTL');
      expect(await d.call('RESTORE', ...args)).toBe('OK');
      expect(String(await d.call('DEBUG', 'DIGEST-VALUE', k.key)), b2s(k.key)).toBe(String(await c.call('DEBUG', 'DIGEST-VALUE', k.key)));
    }
    expect(await compareKeyByKey(c, d, DBS)).toEqual([]);
    await c.select(0);
    await d.select(0);
  });

  it('chunked parsing and tiny big-key thresholds give the same keys', () => {
    const base = canonical(keys.map(({ raw, big, batches, ...rest }) => rest));
    const rnd = prng(99);
    const chunked = parseChunked(file, () => 1 + Math.floor(rnd() * 700));
    expect(canonical(chunked)).toEqual(canonical(parseWhole(file)));
    for (const bigKeyThreshold of [1, 64, 1000]) {
      const evs = parseChunked(file, () => 1 + Math.floor(rnd() * 300), { bigKeyThreshold, batchMaxItems: 7, batchMaxBytes: 500 });
      const big = assembleKeys(evs);
      expect(big.some((k) => k.big)).toBe(true);
      expect(canonical(big.map(({ raw, big, batches, ...rest }) => rest))).toEqual(base);
      for (const ev of evs) if (ev.type === 'key') expect(ev.raw.length).toBeLessThanOrEqual(bigKeyThreshold);
    }
  });
});

describe('RDB from redis-server 7.0 with LRU/LFU eviction policies', () => {
  for (const [policy, field] of [['allkeys-lru', 'idle'], ['allkeys-lfu', 'freq']] as const) {
    it(`${policy}: every key carries its ${field} (opcode ${field === 'idle' ? 'F8' : 'F9'})`, async () => {
      const server = await RedisServer.start({ config: { 'maxmemory-policy': policy } });
      try {
        const client = server.client();
        for (let i = 0; i < 20; i++) await client.set(`k${i}`, `v${i}`);
        for (let i = 0; i < 50; i++) await client.get('k0'); // raise k0's LFU counter
        await client.call('SAVE');
        client.disconnect();
        const evs = parseWhole(fs.readFileSync(path.join(server.dir, 'dump.rdb')));
        const ks = assembleKeys(evs);
        expect(ks).toHaveLength(20);
        for (const k of ks) expect(k[field], b2s(k.key)).toBeTypeOf('number');
        if (field === 'freq') {
          const k0 = ks.find((k) => b2s(k.key) === 'k0')!;
          expect(k0.freq!).toBeGreaterThan(ks.find((k) => b2s(k.key) === 'k1')!.freq!);
        }
      } finally {
        await server.stop();
      }
    });
  }
});
