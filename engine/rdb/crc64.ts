/**
 * CRC-64 "Jones" as used by Redis RDB files and DUMP payloads: polynomial 0xad93d23594c935a9,
 * reflected (table constant 0x95ac9329ac4bc9b5), initial value 0, no final XOR.
 * Check value: crc64("123456789") = 0xe9c6d914c4b8d9ca.
 *
 * Table-driven slicing-by-8 over two 32-bit halves, so no BigInt on the hot path.
 */

const POLY_LO = 0xac4bc9b5 | 0;
const POLY_HI = 0x95ac9329 | 0;

// T[k][i] for k = 0..7, split into low and high 32-bit halves.
const TLO = new Int32Array(8 * 256);
const THI = new Int32Array(8 * 256);

(function buildTables() {
  for (let i = 0; i < 256; i++) {
    let lo = i;
    let hi = 0;
    for (let b = 0; b < 8; b++) {
      const lsb = lo & 1;
      lo = (lo >>> 1) | (hi << 31);
      hi = hi >>> 1;
      if (lsb) {
        lo ^= POLY_LO;
        hi ^= POLY_HI;
      }
    }
    TLO[i] = lo;
    THI[i] = hi;
  }
  for (let k = 1; k < 8; k++) {
    for (let i = 0; i < 256; i++) {
      const plo = TLO[(k - 1) * 256 + i]!;
      const phi = THI[(k - 1) * 256 + i]!;
      const idx = plo & 0xff;
      TLO[k * 256 + i] = ((plo >>> 8) | (phi << 24)) ^ TLO[idx]!;
      THI[k * 256 + i] = (phi >>> 8) ^ THI[idx]!;
    }
  }
})();

/** Incremental CRC-64 state. */
export class Crc64 {
  lo = 0;
  hi = 0;

  constructor(seed: bigint = 0n) {
    this.lo = Number(seed & 0xffffffffn) | 0;
    this.hi = Number((seed >> 32n) & 0xffffffffn) | 0;
  }

  /** Feed bytes [start, end) of buf. */
  update(buf: Uint8Array, start = 0, end = buf.length): this {
    let lo = this.lo;
    let hi = this.hi;
    let i = start;
    // Byte-wise until 8 bytes remain aligned with nothing; slicing-by-8 in the middle.
    const stop8 = end - 8;
    while (i <= stop8) {
      lo ^= buf[i]! | (buf[i + 1]! << 8) | (buf[i + 2]! << 16) | (buf[i + 3]! << 24);
      hi ^= buf[i + 4]! | (buf[i + 5]! << 8) | (buf[i + 6]! << 16) | (buf[i + 7]! << 24);
      const nlo =
        TLO[1792 + (lo & 0xff)]! ^
        TLO[1536 + ((lo >>> 8) & 0xff)]! ^
        TLO[1280 + ((lo >>> 16) & 0xff)]! ^
        TLO[1024 + (lo >>> 24)]! ^
        TLO[768 + (hi & 0xff)]! ^
        TLO[512 + ((hi >>> 8) & 0xff)]! ^
        TLO[256 + ((hi >>> 16) & 0xff)]! ^
        TLO[hi >>> 24]!;
      const nhi =
        THI[1792 + (lo & 0xff)]! ^
        THI[1536 + ((lo >>> 8) & 0xff)]! ^
        THI[1280 + ((lo >>> 16) & 0xff)]! ^
        THI[1024 + (lo >>> 24)]! ^
        THI[768 + (hi & 0xff)]! ^
        THI[512 + ((hi >>> 8) & 0xff)]! ^
        THI[256 + ((hi >>> 16) & 0xff)]! ^
        THI[hi >>> 24]!;
      lo = nlo;
      hi = nhi;
      i += 8;
    }
    while (i < end) {
      const idx = (lo ^ buf[i]!) & 0xff;
      lo = ((lo >>> 8) | (hi << 24)) ^ TLO[idx]!;
      hi = (hi >>> 8) ^ THI[idx]!;
      i++;
    }
    this.lo = lo;
    this.hi = hi;
    return this;
  }

  /** The current CRC as an unsigned 64-bit bigint. */
  digest(): bigint {
    return (BigInt(this.hi >>> 0) << 32n) | BigInt(this.lo >>> 0);
  }

  /** True when the current CRC equals the u64 stored little-endian at buf[pos..pos+8). */
  equalsLE(buf: Uint8Array, pos: number): boolean {
    const lo = buf[pos]! | (buf[pos + 1]! << 8) | (buf[pos + 2]! << 16) | (buf[pos + 3]! << 24);
    const hi = buf[pos + 4]! | (buf[pos + 5]! << 8) | (buf[pos + 6]! << 16) | (buf[pos + 7]! << 24);
    return lo === this.lo && hi === this.hi;
  }

  /** Write the CRC as u64 little-endian into buf at pos. */
  writeLE(buf: Uint8Array, pos: number): void {
    const lo = this.lo;
    const hi = this.hi;
    buf[pos] = lo & 0xff;
    buf[pos + 1] = (lo >>> 8) & 0xff;
    buf[pos + 2] = (lo >>> 16) & 0xff;
    buf[pos + 3] = lo >>> 24;
    buf[pos + 4] = hi & 0xff;
    buf[pos + 5] = (hi >>> 8) & 0xff;
    buf[pos + 6] = (hi >>> 16) & 0xff;
    buf[pos + 7] = hi >>> 24;
  }
}

/**
 * CRC-64 (Jones) of `buf`. Pass the previous result as `seed` to continue over more data:
 * crc64(b, crc64(a)) === crc64(concat(a, b)).
 */
export function crc64(buf: Uint8Array, seed: bigint = 0n): bigint {
  return new Crc64(seed).update(buf).digest();
}
