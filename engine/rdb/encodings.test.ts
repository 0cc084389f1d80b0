/**
 * Unit tests of the primitive encodings: RDB lengths and strings, listpack and ziplist entries
 * (every integer encoding), intsets and zipmaps.
 */
import { describe, expect, it } from 'vitest';
import { RdbError } from './errors';
import { decodeIntset } from './intset';
import { decodeListpack } from './listpack';
import { NEED_MORE, Reader } from './reader';
import { encodeIntset, encodeListpack, encodeZiplist, lzfCompress, RdbWriter } from './testing/rdb-writer';
import { decodeZiplist } from './ziplist';
import { decodeZipmap } from './zipmap';

function reader(bytes: number[] | Buffer, final = true): Reader {
  const b = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes);
  return new Reader(b, 0, b.length, final, 0, 1 << 20);
}

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof RdbError) return e.code;
    throw e;
  }
  return undefined;
}

describe('RDB lengths', () => {
  it('reads the 6-bit, 14-bit (BE), 32-bit (BE) and 64-bit (BE) forms', () => {
    expect(reader([0x3f]).readLen()).toBe(63);
    expect(reader([0x40, 0x40]).readLen()).toBe(64);
    expect(reader([0x7f, 0xff]).readLen()).toBe(16383);
    expect(reader([0x80, 0x00, 0x01, 0x00, 0x00]).readLen()).toBe(65536);
    expect(reader([0x80, 0xff, 0xff, 0xff, 0xff]).readLen()).toBe(4294967295);
    expect(reader([0x81, 0, 0, 0, 1, 0, 0, 0, 0]).readLen()).toBe(4294967296);
    expect(reader([0x81, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]).readLenBig()).toBe((1n << 64n) - 1n);
    for (const n of [0, 1, 63, 64, 16383, 16384, 2 ** 32 - 1, 2 ** 32, 2 ** 52]) {
      const w = new RdbWriter();
      const b = (w as any).len(n).parts.at(-1) as Buffer;
      expect(reader(b).readLen()).toBe(n);
    }
  });

  it('rejects impossible lengths and special encodings where a length is expected', () => {
    expect(code(() => reader([0x81, 0xff, 0, 0, 0, 0, 0, 0, 0]).readLen())).toBe('CORRUPT');
    expect(code(() => reader([0xc0]).readLen())).toBe('CORRUPT');
    expect(code(() => reader([0x82]).readLen())).toBe('CORRUPT');
  });

  it('signals NEED_MORE when not final and TRUNCATED when final', () => {
    const r = reader([0x80, 0, 0], false);
    let thrown: unknown;
    try {
      r.readLen();
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBe(NEED_MORE);
    expect(r.needPos).toBe(5);
    expect(code(() => reader([0x80, 0, 0]).readLen())).toBe('TRUNCATED');
  });
});

describe('RDB strings', () => {
  it('decodes int8/int16/int32 encodings to decimal text', () => {
    expect(reader([0xc0, 0x85]).readString().toString()).toBe('-123');
    expect(reader([0xc0, 0x7d]).readString().toString()).toBe('125');
    expect(reader([0xc1, 0xdb, 0x8c]).readString().toString()).toBe('-29477');
    expect(reader([0xc2, 0xdb, 0x2c, 0x12, 0xf5]).readString().toString()).toBe('-183358245');
    expect(reader([0xc2, 0xff, 0xff, 0xff, 0x7f]).readString().toString()).toBe('2147483647');
  });

  it('decodes LZF strings and plain strings as views', () => {
    const data = Buffer.from('abcabcabcabcabcabcabcabcabcabc-xyz');
    const c = lzfCompress(data);
    const bytes = Buffer.concat([Buffer.from([0xc3, c.length, data.length]), c]);
    expect(reader(bytes).readString()).toEqual(data);
    const plain = Buffer.from([0x03, 0x61, 0x62, 0x63]);
    const s = reader(plain).readString();
    expect(s.toString()).toBe('abc');
    expect(s.buffer).toBe(plain.buffer); // zero copy
  });

  it('rejects unknown encodings and impossible LZF sizes without allocating them', () => {
    expect(code(() => reader([0xc4]).readString())).toBe('CORRUPT');
    // 4 GB declared from 1 compressed byte.
    expect(code(() => reader([0xc3, 0x01, 0x80, 0xff, 0xff, 0xff, 0xff, 0x00]).readString())).toBe('CORRUPT');
    // A declared 4 GB string in a tiny input: TRUNCATED, not an allocation.
    expect(code(() => reader([0x80, 0xff, 0xff, 0xff, 0x00, 0x61]).readString())).toBe('CORRUPT'); // over maxString
    const r = new Reader(Buffer.from([0x80, 0xff, 0xff, 0xff, 0x00, 0x61]), 0, 6, true, 0, 2 ** 33);
    expect(code(() => r.readString())).toBe('TRUNCATED');
  });
});

describe('listpack', () => {
  it('decodes every integer encoding and the string encodings', () => {
    const ints = [0, 127, 128, -1, -4096, 4095, 4096, -32768, 32767, 32768, -8388608, 8388607, 8388608, -2147483648, 2147483647, 2147483648, -(2 ** 53), 2 ** 53];
    const strs = ['', 'a', 'x'.repeat(63), 'y'.repeat(64), 'z'.repeat(4095), 'w'.repeat(4096)];
    const lp = encodeListpack([...ints, ...strs]);
    const out = decodeListpack(lp);
    // |v| < 2^53 come back as numbers, the rest as exact bigints.
    expect(out.slice(0, ints.length)).toEqual(ints.map((v) => (Math.abs(v) < 2 ** 53 || v === -(2 ** 53) ? v : BigInt(v))));
    expect(out.slice(ints.length).map((b) => (b as Buffer).toString())).toEqual(strs);
    // The encodings used are the ones under test.
    expect(lp.includes(0xf4)).toBe(true);
  });

  it('returns int64 values beyond 2^53 exactly as bigint', () => {
    const big = Buffer.alloc(9);
    big[0] = 0xf4;
    big.writeBigInt64LE(9223372036854775807n, 1);
    const lp = Buffer.concat([Buffer.alloc(6), big, Buffer.from([9, 0xff])]);
    lp.writeUInt32LE(lp.length, 0);
    lp.writeUInt16LE(1, 4);
    expect(decodeListpack(lp)).toEqual([9223372036854775807n]);
  });

  it('rejects damage: wrong total, wrong count, bad backlen, bad encoding, missing end', () => {
    const lp = encodeListpack(['hello', 5, 'world']);
    const wrongTotal = Buffer.from(lp);
    wrongTotal.writeUInt32LE(lp.length + 1, 0);
    expect(code(() => decodeListpack(wrongTotal))).toBe('CORRUPT');
    const wrongCount = Buffer.from(lp);
    wrongCount.writeUInt16LE(4, 4);
    expect(code(() => decodeListpack(wrongCount))).toBe('CORRUPT');
    const unknownCount = Buffer.from(lp);
    unknownCount.writeUInt16LE(65535, 4);
    expect(decodeListpack(unknownCount)).toHaveLength(3);
    const badBacklen = Buffer.from(lp);
    badBacklen[6 + 6] = 9; // backlen of "hello" (6 bytes) changed
    expect(code(() => decodeListpack(badBacklen))).toBe('CORRUPT');
    const badEnc = Buffer.from(lp);
    badEnc[6] = 0xf7;
    expect(code(() => decodeListpack(badEnc))).toBe('CORRUPT');
    const noEnd = lp.subarray(0, lp.length - 1);
    const fixed = Buffer.from(noEnd);
    fixed.writeUInt32LE(fixed.length, 0);
    expect(code(() => decodeListpack(fixed))).toBe('CORRUPT');
  });
});

describe('ziplist', () => {
  it('decodes immediates, int8, int16, int24, int32, int64 and 6/14/32-bit strings', () => {
    const ints = [0n, 12n, 13n, -1n, -128n, 127n, -32768n, 32767n, -8388608n, 8388607n, -2147483648n, 2147483647n, 9223372036854775807n, -9223372036854775808n];
    const strs = ['', 'a', 'b'.repeat(63), 'c'.repeat(64), 'd'.repeat(16383), 'e'.repeat(16384)];
    const zl = encodeZiplist([...ints, ...strs]);
    const out = decodeZiplist(zl);
    expect(out.slice(0, ints.length).map((v) => BigInt(v as number | bigint))).toEqual(ints);
    expect(out.slice(ints.length).map((b) => (b as Buffer).toString())).toEqual(strs);
    for (const enc of [0xf1, 0xfe, 0xc0, 0xf0, 0xd0, 0xe0, 0x80]) expect(zl.includes(enc)).toBe(true);
  });

  it('handles 5-byte prevlens after long entries', () => {
    const zl = encodeZiplist(['x'.repeat(300), 'after']);
    expect(decodeZiplist(zl).map((b) => (b as Buffer).toString())).toEqual(['x'.repeat(300), 'after']);
  });

  it('rejects damage', () => {
    const zl = encodeZiplist(['a', 1, 'b']);
    const wrongBytes = Buffer.from(zl);
    wrongBytes.writeUInt32LE(99, 0);
    expect(code(() => decodeZiplist(wrongBytes))).toBe('CORRUPT');
    const wrongCount = Buffer.from(zl);
    wrongCount.writeUInt16LE(2, 8);
    expect(code(() => decodeZiplist(wrongCount))).toBe('CORRUPT');
    const badEnc = Buffer.from(zl);
    badEnc[11] = 0xc1;
    expect(code(() => decodeZiplist(badEnc))).toBe('CORRUPT');
    const longString = Buffer.from(zl);
    longString[11] = 0x3f; // "a" now claims 63 bytes
    expect(code(() => decodeZiplist(longString))).toBe('CORRUPT');
  });
});

describe('intset', () => {
  it('decodes 16, 32 and 64-bit intsets', () => {
    expect(decodeIntset(encodeIntset(2, [-32768, 0, 32767]))).toEqual([-32768, 0, 32767]);
    expect(decodeIntset(encodeIntset(4, [-2147483648, 2147483647]))).toEqual([-2147483648, 2147483647]);
    expect(decodeIntset(encodeIntset(8, [-9223372036854775808n, 1, 9223372036854775807n]))).toEqual([
      -9223372036854775808n,
      1,
      9223372036854775807n,
    ]);
  });

  it('rejects a bad width or a length that does not fit the blob', () => {
    const bad = encodeIntset(2, [1, 2]);
    bad.writeUInt32LE(3, 0);
    expect(code(() => decodeIntset(bad))).toBe('CORRUPT');
    const long = encodeIntset(4, [1, 2]);
    long.writeUInt32LE(1000000, 4);
    expect(code(() => decodeIntset(long))).toBe('CORRUPT');
  });
});

describe('zipmap', () => {
  it('decodes pairs with free bytes and 5-byte lengths', () => {
    const big = Buffer.alloc(300, 'v');
    const bigLen = Buffer.alloc(5);
    bigLen[0] = 254;
    bigLen.writeUInt32LE(300, 1);
    const zm = Buffer.concat([
      Buffer.from([2]),
      Buffer.from([1]), Buffer.from('a'), Buffer.from([2, 3]), Buffer.from('bb'), Buffer.from('xyz'),
      Buffer.from([1]), Buffer.from('k'), bigLen, Buffer.from([0]), big,
      Buffer.from([0xff]),
    ]);
    expect(decodeZipmap(zm).map((b) => (b as Buffer).toString())).toEqual(['a', 'bb', 'k', big.toString()]);
  });

  it('rejects a zipmap that ends between key and value', () => {
    expect(code(() => decodeZipmap(Buffer.from([1, 1, 0x61, 0xff])))).toBe('CORRUPT');
  });
});
