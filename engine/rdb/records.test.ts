/**
 * Synthetic RDBs covering every opcode and value type of REFERENCE §2 that the fixtures do not
 * (or not fully) cover, the header and checksum rules, and the error paths.
 */
import { describe, expect, it } from 'vitest';
import { RdbError } from './errors';
import { parseRdb, RdbParser } from './parser';
import { assembleKeys, canonical, parseChunked, parseWhole } from './testing/parse';
import { prng } from '../testing/prng';
import { encodeListpack, encodeZiplist, lzfRdbString, RdbWriter } from './testing/rdb-writer';
import type { HashEntry, RdbEvent } from './types';
import { moduleInfo } from './values/module';

const CHARSET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
function moduleId(name: string, encver: number): bigint {
  let id = 0n;
  for (let j = 0; j < 9; j++) id = (id << 6n) | BigInt(CHARSET.indexOf(name[j]!));
  return (id << 10n) | BigInt(encver);
}

function errorOf(fn: () => unknown): RdbError {
  try {
    fn();
  } catch (e) {
    if (e instanceof RdbError) return e;
    throw e;
  }
  throw new Error('expected an RdbError');
}

const keysOf = (buf: Buffer) => assembleKeys(parseWhole(buf));
const s = (b: unknown) => (b as Buffer).toString();
const hashView = (v: unknown) => (v as HashEntry[]).map(([f, x, t]) => [s(f), s(x), t]);

describe('opcodes', () => {
  it('AUX, SELECTDB, RESIZEDB, SLOT_INFO, FUNCTION2 produce events; expiry/idle/freq apply to the next key only', () => {
    const w = new RdbWriter(12)
      .aux('redis-ver', '7.4.0')
      .selectDb(3)
      .raw([0xfb]).len(2).len(1)
      .raw([0xf4]).len(1234).len(2).len(1)
      .raw([0xf5]).str("#!lua name=lib\nredis.register_function('f', function() return 1 end)")
      .raw([0xfd, 0x10, 0x27, 0x00, 0x00]) // EXPIRETIME 10000 s
      .raw([0xf8]).len(77) // IDLE
      .byte(0).str('k1').str('v1')
      .raw([0xf9, 0x05]) // FREQ
      .raw(Buffer.from([0xfc, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x00, 0x00])) // EXPIRETIME_MS
      .byte(0).str('k2').str('v2')
      .byte(0).str('k3').str('v3');
    const events = parseWhole(w.finish());
    expect(events.map((e) => e.type)).toEqual(['header', 'aux', 'selectdb', 'resizedb', 'slot-info', 'function', 'key', 'key', 'key', 'eof']);
    expect(events[4]).toMatchObject({ slot: 1234, keys: 2, expires: 1 });
    expect(events[3]).toMatchObject({ dbSize: 2, expiresSize: 1 });
    const [k1, k2, k3] = assembleKeys(events);
    expect(k1).toMatchObject({ db: 3, expireAt: 10_000_000, idle: 77, freq: undefined });
    expect(k2).toMatchObject({ db: 3, expireAt: 0x060504030201, idle: undefined, freq: 5 });
    expect(k3).toMatchObject({ db: 3, expireAt: undefined, idle: undefined, freq: undefined });
    expect(s((events[5] as any).source)).toMatch(/^#!lua name=lib/);
  });

  it('MODULE_AUX is walked (all tagged value kinds) and reported with its module', () => {
    const id = moduleId('MBbloom--', 3);
    const tagged = new RdbWriter(9).len(1).len(5).len(2).len(1n << 40n).len(3).raw([0, 0, 0x80, 0x3f]).len(4).raw(Buffer.alloc(8)).len(5).str('payload').len(0);
    const taggedBytes = Buffer.concat((tagged as any).parts.slice(1));
    const w = new RdbWriter(9).raw([0xf7]).len(id).len(2).len(2).raw(taggedBytes).byte(0).str('k').str('v');
    const file = w.finish();
    const events = parseWhole(file);
    const aux = events.find((e) => e.type === 'module-aux');
    expect(aux).toMatchObject({ type: 'module-aux', module: { name: 'MBbloom--', encVersion: 3, moduleId: id }, when: 2 });
    expect(aux && aux.type === 'module-aux' && aux.raw.equals(taggedBytes)).toBe(true);
    expect(keysOf(file)).toHaveLength(1);
  });

  it('Valkey SLOT_IMPORT and SLOT_INFO are parsed; 243 is rejected in a REDIS file', () => {
    const w = new RdbWriter(81, 'VALKEY').raw([0xf3]).str('a'.repeat(40)).len(2).len(0).len(100).len(200).len(16383);
    const events = parseWhole(w.finish());
    expect(events[0]).toEqual({ type: 'header', magic: 'VALKEY', version: 81 });
    expect(events[1]).toMatchObject({ type: 'slot-import', ranges: [[0, 100], [200, 16383]] });
    expect(errorOf(() => parseWhole(new RdbWriter(12).raw([0xf3]).finish())).code).toBe('UNKNOWN_TYPE');
  });

  it('rejects pre-GA functions (F6) and unknown types with actionable errors', () => {
    const e1 = errorOf(() => parseWhole(new RdbWriter(10).raw([0xf6]).str('x').finish()));
    expect(e1.code).toBe('UNSUPPORTED_FORMAT');
    expect(e1.message).toMatch(/pre-release function format.*byte offset 9/);
    const e2 = errorOf(() => parseWhole(new RdbWriter(13).byte(27).str('k').finish()));
    expect(e2.code).toBe('UNKNOWN_TYPE');
    expect(e2.message).toMatch(/unknown RDB type or opcode 27/);
    const e3 = errorOf(() => parseWhole(new RdbWriter(13).raw([0xf3]).finish()));
    expect(e3.code).toBe('UNSUPPORTED_FORMAT');
    expect(e3.message).toMatch(/key metadata \(opcode 243, Redis 8\.6/);
    expect(errorOf(() => parseWhole(new RdbWriter(11).byte(8).str('k').finish())).code).toBe('UNKNOWN_TYPE');
    expect(errorOf(() => parseWhole(new RdbWriter(81, 'VALKEY').byte(23).str('k').finish())).code).toBe('UNSUPPORTED_FORMAT');
    expect(errorOf(() => parseWhole(new RdbWriter(81, 'VALKEY').byte(24).str('k').finish())).code).toBe('UNKNOWN_TYPE');
  });
});

describe('value types', () => {
  it('1 LIST, 2 SET, 4 HASH with int- and LZF-encoded strings', () => {
    const long = Buffer.alloc(500, 'abcdefgh');
    const w = new RdbWriter(6).byte(1).str('l').len(3).str('a').raw([0xc0, 0xfb]);
    lzfRdbString(w, long);
    w.byte(2).str('s').len(2).str('x').raw([0xc1, 0x39, 0x30]);
    w.byte(4).str('h').len(1).str('f');
    lzfRdbString(w, long);
    const [l, st, h] = keysOf(w.finish());
    expect((l!.value as Buffer[]).map(s)).toEqual(['a', '-5', long.toString()]);
    expect((st!.value as Buffer[]).map(s)).toEqual(['x', '12345']);
    expect(hashView(h!.value)).toEqual([['f', long.toString(), undefined]]);
  });

  it('3 ZSET (text scores incl. inf/-inf/nan) and 5 ZSET_2 (binary scores)', () => {
    const w = new RdbWriter(6).byte(3).str('z').len(5);
    w.str('a').byte(3).raw(Buffer.from('1.5'));
    w.str('b').byte(254).str('c').byte(255).str('d').byte(253);
    w.str('e').byte(7).raw(Buffer.from('-1e-300'));
    const f = Buffer.alloc(8);
    f.writeDoubleLE(-0);
    const w2 = new RdbWriter(9).byte(5).str('z2').len(2).str('m').raw(Buffer.from(f));
    f.writeDoubleLE(2 ** 53 + 2);
    w2.str('n').raw(Buffer.from(f));
    const [z] = keysOf(w.finish());
    expect(canonical(z!.value)).toEqual(canonical([[Buffer.from('a'), 1.5], [Buffer.from('b'), Infinity], [Buffer.from('c'), -Infinity], [Buffer.from('d'), NaN], [Buffer.from('e'), -1e-300]]));
    const [z2] = keysOf(w2.finish());
    expect(canonical(z2!.value)).toEqual(canonical([[Buffer.from('m'), -0], [Buffer.from('n'), 2 ** 53 + 2]]));
  });

  it('12 ZSET_ZIPLIST and 17 ZSET_LISTPACK with text and integer scores', () => {
    const zl = encodeZiplist(['a', '3.25', 'b', 7, 'c', 'inf', 'd', '-inf']);
    const lp = encodeListpack(['a', '-0.5', 'b', -9, 'c', '1e+300']);
    const w = new RdbWriter(10).byte(12).str('z1').str(zl).byte(17).str('z2').str(lp);
    const [z1, z2] = keysOf(w.finish());
    expect(canonical(z1!.value)).toEqual(canonical([[Buffer.from('a'), 3.25], [Buffer.from('b'), 7], [Buffer.from('c'), Infinity], [Buffer.from('d'), -Infinity]]));
    expect(canonical(z2!.value)).toEqual(canonical([[Buffer.from('a'), -0.5], [Buffer.from('b'), -9], [Buffer.from('c'), 1e300]]));
  });

  it('14 QUICKLIST with an LZF-compressed ziplist node; 18 QUICKLIST_2 with PLAIN, PACKED and LZF nodes', () => {
    const node1 = encodeZiplist(['aaaaaaaaaaaaaaaaaaaaaaaa', 'aaaaaaaaaaaaaaaaaaaaaaab', 5]);
    const w = new RdbWriter(8).byte(14).str('q').len(2);
    lzfRdbString(w, node1);
    w.str(encodeZiplist(['z']));
    const lpNode = encodeListpack(['x'.repeat(40), 'x'.repeat(41), 12]);
    w.byte(18).str('q2').len(3).len(1).str('plain element').len(2).str(encodeListpack(['p', 1])).len(2);
    lzfRdbString(w, lpNode);
    const [q, q2] = keysOf(w.finish());
    expect((q!.value as Buffer[]).map(s)).toEqual(['aaaaaaaaaaaaaaaaaaaaaaaa', 'aaaaaaaaaaaaaaaaaaaaaaab', '5', 'z']);
    expect((q2!.value as Buffer[]).map(s)).toEqual(['plain element', 'p', '1', 'x'.repeat(40), 'x'.repeat(41), '12']);
    expect(errorOf(() => parseWhole(new RdbWriter(10).byte(18).str('q').len(1).len(3).str('x').finish())).message).toMatch(/container 3.*key "q"/);
  });

  it('22 HASH_METADATA_PRE_GA, 23 HASH_LISTPACK_EX_PRE_GA, 24 HASH_METADATA, 25 HASH_LISTPACK_EX (REDIS 12)', () => {
    const w = new RdbWriter(12);
    w.byte(22).str('h22').len(2).len(0).str('f1').str('v1').len(1700000000000).str('f2').str('v2');
    w.byte(23).str('h23').str(encodeListpack(['f1', 'v1', 0, 'f2', 'v2', 1700000000001]));
    const min = Buffer.alloc(8);
    min.writeBigUInt64LE(1700000000000n);
    w.byte(24).str('h24').raw(min).len(2).len(0).str('f1').str('v1').len(5).str('f2').str('v2');
    w.byte(25).str('h25').raw(min).str(encodeListpack(['f1', 'v1', 1800000000000, 'f2', 'v2', 0]));
    const keys = keysOf(w.finish());
    expect(keys.map((k) => [s(k.key), k.typeName, k.encoding])).toEqual([
      ['h22', 'hash', 'hash-metadata-pre-ga'],
      ['h23', 'hash', 'listpack-ex-pre-ga'],
      ['h24', 'hash', 'hash-metadata'],
      ['h25', 'hash', 'listpack-ex'],
    ]);
    expect(hashView(keys[0]!.value)).toEqual([['f1', 'v1', undefined], ['f2', 'v2', 1700000000000]]);
    expect(hashView(keys[1]!.value)).toEqual([['f1', 'v1', undefined], ['f2', 'v2', 1700000000001]]);
    expect(hashView(keys[2]!.value)).toEqual([['f1', 'v1', undefined], ['f2', 'v2', 1700000000004]]);
    expect(hashView(keys[3]!.value)).toEqual([['f1', 'v1', 1800000000000], ['f2', 'v2', undefined]]);
  });

  it('22 in a VALKEY file is HASH_2 (int64 LE expiry, -1 = none, 0 = a past time)', () => {
    const t = (v: bigint) => {
      const b = Buffer.alloc(8);
      b.writeBigInt64LE(v);
      return b;
    };
    const w = new RdbWriter(80, 'VALKEY').byte(22).str('h').len(3);
    w.str('a').str('1').raw(t(-1n)).str('b').str('2').raw(t(0n)).str('c').str('3').raw(t(1700000000000n));
    const [h] = keysOf(w.finish());
    expect(h!.encoding).toBe('hash2');
    expect(hashView(h!.value)).toEqual([['a', '1', undefined], ['b', '2', 0], ['c', '3', 1700000000000]]);
  });

  it('7 MODULE_2 is passed through opaquely with its module name; 6 MODULE_PRE_GA is UNKNOWN_MODULE', () => {
    const id = moduleId('exstrtype', 1);
    const value = new RdbWriter(9).len(id).len(2).len(42).len(5).str('hello').len(4).raw(Buffer.alloc(8, 1)).len(0);
    const valueBytes = Buffer.concat((value as any).parts.slice(1));
    const w = new RdbWriter(9).byte(7).str('m').raw(valueBytes);
    const [m] = keysOf(w.finish());
    expect(m!.value).toEqual({ moduleId: id, name: 'exstrtype', encVersion: 1 });
    expect(m!.raw!.equals(valueBytes)).toBe(true);
    expect(moduleInfo(id).name).toBe('exstrtype');
    const e = errorOf(() => parseWhole(new RdbWriter(8).byte(6).str('old').len(moduleId('tairhash-', 0)).raw([1, 2, 3]).finish()));
    expect(e.code).toBe('UNKNOWN_MODULE');
    expect(e.message).toMatch(/"tairhash-".*pre-GA.*key "old"/);
    const bad = new RdbWriter(9).byte(7).str('m').len(id).len(9).finish();
    expect(errorOf(() => parseWhole(bad)).message).toMatch(/unknown module value opcode 9/);
  });

  it('skips empty collections like Redis does, and counts them', () => {
    const w = new RdbWriter(10).byte(1).str('empty-list').len(0).byte(16).str('empty-hash').str(encodeListpack([])).byte(0).str('k').str('v');
    const events = parseWhole(w.finish());
    expect(assembleKeys(events).map((k) => s(k.key))).toEqual(['k']);
    expect(events.at(-1)).toMatchObject({ type: 'eof', emptyKeysSkipped: 2 });
  });

  it('rejects odd element counts in pair encodings', () => {
    const e = errorOf(() => parseWhole(new RdbWriter(10).byte(16).str('h').str(encodeListpack(['f', 'v', 'g'])).finish()));
    expect(e.code).toBe('CORRUPT');
    expect(e.message).toMatch(/odd number.*key "h"/);
  });
});

describe('header and checksum', () => {
  it('rejects bad magic, unsupported versions and empty input', () => {
    expect(errorOf(() => parseWhole(Buffer.from('HELLO0009\xff'))).code).toBe('BAD_MAGIC');
    expect(errorOf(() => parseWhole(Buffer.from('REDIS0014\xff'))).code).toBe('UNSUPPORTED_VERSION');
    expect(errorOf(() => parseWhole(Buffer.from('REDIS0000\xff'))).code).toBe('UNSUPPORTED_VERSION');
    expect(errorOf(() => parseWhole(Buffer.from('VALKEY079\xff'))).code).toBe('UNSUPPORTED_VERSION');
    expect(errorOf(() => parseWhole(Buffer.from('VALKEY082\xff'))).code).toBe('UNSUPPORTED_VERSION');
    expect(errorOf(() => parseWhole(Buffer.alloc(0))).code).toBe('TRUNCATED');
    expect(errorOf(() => parseWhole(Buffer.from('REDI'))).code).toBe('TRUNCATED');
    for (let v = 1; v <= 12; v++) expect(parseWhole(new RdbWriter(v).finish()).at(-1)?.type).toBe('eof');
  });

  it('verifies the CRC-64, skips it when stored as 0 or disabled, and reports a mismatch clearly', () => {
    const good = new RdbWriter(10).byte(0).str('k').str('v').finish();
    expect(parseWhole(good).at(-1)).toMatchObject({ checksum: 'verified', checksumSkipReason: undefined });
    const zero = new RdbWriter(10).byte(0).str('k').str('v').finish({ crc: 'zero' });
    expect(parseWhole(zero).at(-1)).toMatchObject({ checksum: 'skipped', checksumSkipReason: 'zero', storedChecksum: 0n });
    const bad = Buffer.from(good);
    bad[bad.length - 12] ^= 1; // a value byte
    const e = errorOf(() => parseWhole(bad));
    expect(e.code).toBe('CHECKSUM_MISMATCH');
    expect(e.message).toMatch(/^RDB checksum mismatch: the file is corrupt or truncated \(stored 0x[0-9a-f]{16}, computed 0x[0-9a-f]{16}\) \(at byte offset \d+\)$/);
    expect(parseWhole(bad, { verifyChecksum: false }).at(-1)).toMatchObject({ checksum: 'skipped', checksumSkipReason: 'disabled' });
    const v4 = new RdbWriter(4).byte(0).str('k').str('v').finish();
    expect(parseWhole(v4).at(-1)).toMatchObject({ checksum: 'skipped', checksumSkipReason: 'version', storedChecksum: undefined });
  });

  it('every truncation is TRUNCATED (with the offset), whole or chunked', () => {
    const w = new RdbWriter(10).aux('x', 'y').byte(16).str('h').str(encodeListpack(['f', 'v']));
    lzfRdbString(w.byte(0).str('lz'), Buffer.alloc(300, 'q'));
    const full = w.finish();
    const rnd = prng(5);
    for (let n = 0; n < full.length; n++) {
      const cut = full.subarray(0, n);
      const e = errorOf(() => parseWhole(cut));
      expect(e.code).toBe('TRUNCATED');
      expect(e.offset).toBeLessThanOrEqual(n);
      expect(errorOf(() => parseChunked(cut, () => 1 + Math.floor(rnd() * 4))).code).toBe('TRUNCATED');
    }
  });
});

describe('streaming API', () => {
  it('keeps bytes after the EOF as trailing data (the replication stream)', () => {
    const rdb = new RdbWriter(10).byte(0).str('k').str('v').finish();
    const tail = Buffer.from('*1\r\n$4\r\nPING\r\n');
    const p = new RdbParser();
    const events = p.push(Buffer.concat([rdb, tail.subarray(0, 5)]));
    expect(p.done).toBe(true);
    expect(events.at(-1)?.type).toBe('eof');
    p.push(tail.subarray(5));
    expect(p.takeTrailing()).toEqual(tail);
  });

  it('parseRdb yields event batches, stops reading at EOF, and closes the source when the consumer stops', async () => {
    const rdb = new RdbWriter(10);
    for (let i = 0; i < 2000; i++) rdb.byte(0).str(`key:${i}`).str(`value:${i}`);
    const file = rdb.finish();
    let pulled = 0;
    let closed = false;
    async function* source() {
      try {
        for (let i = 0; i < file.length; i += 1000) {
          pulled++;
          yield file.subarray(i, i + 1000);
        }
        yield Buffer.from('garbage after the RDB that must never be read');
        pulled++;
      } finally {
        closed = true;
      }
    }
    const all: RdbEvent[] = [];
    for await (const batch of parseRdb(source())) all.push(...batch);
    expect(all.filter((e) => e.type === 'key')).toHaveLength(2000);
    expect(closed).toBe(true);
    expect(pulled).toBe(Math.ceil(file.length / 1000));

    pulled = 0;
    closed = false;
    let seen = 0;
    for await (const batch of parseRdb(source())) {
      seen += batch.length;
      if (seen > 100) break;
    }
    expect(closed).toBe(true);
    expect(pulled).toBeLessThan(5);
  });

  it('an error is sticky: later pushes rethrow it', () => {
    const p = new RdbParser();
    expect(() => p.push(Buffer.from('NOTANRDB!'))).toThrow(RdbError);
    expect(() => p.push(Buffer.from('x'))).toThrow(/not an RDB file/);
  });
});
