import { describe, expect, it } from 'vitest';
import { Crc64, crc64 } from './crc64';
import { buildDumpPayload, parseDumpPayload } from './dump';
import { prng } from '../testing/prng';

/** Bit-by-bit reference: reflected Jones polynomial, init 0, no final XOR. */
function crc64Reference(buf: Uint8Array, seed = 0n): bigint {
  const POLY = 0x95ac9329ac4bc9b5n;
  let crc = seed;
  for (const b of buf) {
    crc ^= BigInt(b);
    for (let i = 0; i < 8; i++) crc = crc & 1n ? (crc >> 1n) ^ POLY : crc >> 1n;
  }
  return crc;
}

function randomBytes(rnd: () => number, n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(rnd() * 256);
  return b;
}

describe('crc64', () => {
  it('has the Jones check value', () => {
    expect(crc64(Buffer.from('123456789'))).toBe(0xe9c6d914c4b8d9can);
    expect(crc64(Buffer.alloc(0))).toBe(0n);
  });

  it('matches a bit-by-bit reference for every length 0..100 and random data', () => {
    const rnd = prng(1);
    for (let n = 0; n <= 100; n++) {
      const b = randomBytes(rnd, n);
      expect(crc64(b)).toBe(crc64Reference(b));
    }
    const big = randomBytes(rnd, 10_007);
    expect(crc64(big)).toBe(crc64Reference(big));
  });

  it('is incremental: crc64(b, crc64(a)) == crc64(a+b), and the class accepts ranges', () => {
    const rnd = prng(2);
    const data = randomBytes(rnd, 5000);
    const whole = crc64(data);
    for (let i = 0; i < 50; i++) {
      const cut = Math.floor(rnd() * data.length);
      expect(crc64(data.subarray(cut), crc64(data.subarray(0, cut)))).toBe(whole);
      const c = new Crc64();
      let p = 0;
      while (p < data.length) {
        const n = 1 + Math.floor(rnd() * 300);
        c.update(data, p, Math.min(data.length, p + n));
        p += n;
      }
      expect(c.digest()).toBe(whole);
    }
    expect(crc64Reference(data.subarray(100), crc64(data.subarray(0, 100)))).toBe(whole);
  });

  it('compares and writes the stored little-endian form', () => {
    const c = new Crc64().update(Buffer.from('123456789'));
    const b = Buffer.alloc(8);
    c.writeLE(b, 0);
    expect(b.readBigUInt64LE(0)).toBe(0xe9c6d914c4b8d9can);
    expect(c.equalsLE(b, 0)).toBe(true);
    b[3] ^= 1;
    expect(c.equalsLE(b, 0)).toBe(false);
  });
});

describe('DUMP payload', () => {
  it('is type | raw | u16 version | crc64 of everything before', () => {
    // DUMP of SET k bar on Redis 7.0: "\x00\x03bar\n\x00" + CRC.
    const p = buildDumpPayload(0, Buffer.from('\x03bar', 'latin1'), 10);
    expect(p.subarray(0, 7)).toEqual(Buffer.from('\x00\x03bar\x0a\x00', 'latin1'));
    expect(p.readBigUInt64LE(7)).toBe(crc64(p.subarray(0, 7)));
    expect(parseDumpPayload(p)).toEqual({ typeId: 0, raw: Buffer.from('\x03bar', 'latin1'), rdbVersion: 10 });
    p[2] ^= 0xff;
    expect(() => parseDumpPayload(p)).toThrow(/CRC mismatch/);
  });
});
