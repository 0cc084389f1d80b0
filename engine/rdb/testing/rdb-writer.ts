/**
 * A minimal RDB writer for synthetic test files, and the encoders their values
 * need: listpacks, ziplists, intsets and LZF-compressed strings.
 */
import { Crc64 } from '../crc64';

export class RdbWriter {
  private parts: Buffer[] = [];

  constructor(version = 10, magic: 'REDIS' | 'VALKEY' = 'REDIS') {
    this.raw(Buffer.from(magic === 'REDIS' ? `REDIS${String(version).padStart(4, '0')}` : `VALKEY${String(version).padStart(3, '0')}`));
  }

  raw(b: Buffer | number[]): this {
    this.parts.push(Buffer.isBuffer(b) ? b : Buffer.from(b));
    return this;
  }

  byte(b: number): this {
    return this.raw([b]);
  }

  len(n: number | bigint): this {
    const v = BigInt(n);
    if (v < 64n) return this.raw([Number(v)]);
    if (v < 16384n) return this.raw([0x40 | Number(v >> 8n), Number(v & 0xffn)]);
    if (v <= 0xffffffffn) {
      const b = Buffer.alloc(5);
      b[0] = 0x80;
      b.writeUInt32BE(Number(v), 1);
      return this.raw(b);
    }
    const b = Buffer.alloc(9);
    b[0] = 0x81;
    b.writeBigUInt64BE(v, 1);
    return this.raw(b);
  }

  str(s: string | Buffer): this {
    const b = typeof s === 'string' ? Buffer.from(s) : s;
    return this.len(b.length).raw(b);
  }

  aux(k: string, v: string): this {
    return this.byte(0xfa).str(k).str(v);
  }

  selectDb(db: number): this {
    return this.byte(0xfe).len(db);
  }

  /** EOF plus CRC-64 (versions ≥ 5). */
  finish(opts: { crc?: 'real' | 'zero' } = {}): Buffer {
    this.byte(0xff);
    const body = Buffer.concat(this.parts);
    const version = Number(body.toString('latin1', body[0] === 0x56 ? 6 : 5, 9));
    if (version < 5) return body;
    const tail = Buffer.alloc(8);
    if ((opts.crc ?? 'real') === 'real') new Crc64().update(body).writeLE(tail, 0);
    return Buffer.concat([body, tail]);
  }
}

/** Encode a listpack of strings/integers (integers as the smallest int encoding). */
export function encodeListpack(elements: (string | Buffer | number)[]): Buffer {
  const entries: Buffer[] = [];
  for (const el of elements) {
    let enc: Buffer;
    if (typeof el === 'number') {
      if (el >= 0 && el <= 127) enc = Buffer.from([el]);
      else if (el >= -4096 && el <= 4095) {
        const v = el & 0x1fff;
        enc = Buffer.from([0xc0 | (v >> 8), v & 0xff]);
      } else if (el >= -32768 && el <= 32767) {
        enc = Buffer.alloc(3);
        enc[0] = 0xf1;
        enc.writeInt16LE(el, 1);
      } else if (el >= -8388608 && el <= 8388607) {
        enc = Buffer.alloc(4);
        enc[0] = 0xf2;
        enc.writeIntLE(el, 1, 3);
      } else if (el >= -2147483648 && el <= 2147483647) {
        enc = Buffer.alloc(5);
        enc[0] = 0xf3;
        enc.writeInt32LE(el, 1);
      } else {
        enc = Buffer.alloc(9);
        enc[0] = 0xf4;
        enc.writeBigInt64LE(BigInt(el), 1);
      }
    } else {
      const s = typeof el === 'string' ? Buffer.from(el) : el;
      if (s.length < 64) enc = Buffer.concat([Buffer.from([0x80 | s.length]), s]);
      else if (s.length < 4096) enc = Buffer.concat([Buffer.from([0xe0 | (s.length >> 8), s.length & 0xff]), s]);
      else {
        const h = Buffer.alloc(5);
        h[0] = 0xf0;
        h.writeUInt32LE(s.length, 1);
        enc = Buffer.concat([h, s]);
      }
    }
    const l = enc.length;
    let back: number[];
    if (l <= 127) back = [l];
    else if (l < 16383) back = [l >> 7, (l & 127) | 128];
    else if (l < 2097151) back = [l >> 14, ((l >> 7) & 127) | 128, (l & 127) | 128];
    else back = [l >> 21, ((l >> 14) & 127) | 128, ((l >> 7) & 127) | 128, (l & 127) | 128];
    entries.push(enc, Buffer.from(back));
  }
  const body = Buffer.concat(entries);
  const out = Buffer.alloc(6 + body.length + 1);
  out.writeUInt32LE(out.length, 0);
  out.writeUInt16LE(Math.min(elements.length, 65535), 4);
  body.copy(out, 6);
  out[out.length - 1] = 0xff;
  return out;
}

/** A simple greedy LZF compressor (for tests; Redis output differs but decodes the same way). */
export function lzfCompress(input: Buffer): Buffer {
  const out: number[] = [];
  const table = new Map<number, number>();
  let lit: number[] = [];
  const flushLit = () => {
    while (lit.length) {
      const n = Math.min(32, lit.length);
      out.push(n - 1, ...lit.splice(0, n));
    }
  };
  let i = 0;
  while (i < input.length) {
    if (i + 2 < input.length) {
      const h = (input[i]! << 16) | (input[i + 1]! << 8) | input[i + 2]!;
      const ref = table.get(h);
      table.set(h, i);
      if (ref !== undefined && i - ref <= 8192) {
        let len = 3;
        while (i + len < input.length && len < 264 && input[ref + len] === input[i + len]) len++;
        flushLit();
        const off = i - ref - 1;
        const l = len - 2;
        if (l < 7) out.push((l << 5) | (off >> 8), off & 0xff);
        else out.push((7 << 5) | (off >> 8), l - 7, off & 0xff);
        i += len;
        continue;
      }
    }
    lit.push(input[i]!);
    i++;
    if (lit.length === 32) flushLit();
  }
  flushLit();
  return Buffer.from(out);
}

/** An RDB string LZF-encoded: C3, len clen, len ulen, data. */
export function lzfRdbString(w: RdbWriter, data: Buffer): RdbWriter {
  const c = lzfCompress(data);
  return w.byte(0xc3).len(c.length).len(data.length).raw(c);
}

/** Encode a ziplist; numbers use the given int encoding or the smallest one. */
export function encodeZiplist(elements: (string | Buffer | number | bigint)[]): Buffer {
  const entries: Buffer[] = [];
  let prevlen = 0;
  let tail = 10;
  let offset = 10;
  for (const el of elements) {
    let enc: Buffer;
    if (typeof el === 'number' || typeof el === 'bigint') {
      const v = BigInt(el);
      if (v >= 0n && v <= 12n) enc = Buffer.from([0xf1 + Number(v)]);
      else if (v >= -128n && v <= 127n) enc = Buffer.from([0xfe, Number(v) & 0xff]);
      else if (v >= -32768n && v <= 32767n) {
        enc = Buffer.alloc(3);
        enc[0] = 0xc0;
        enc.writeInt16LE(Number(v), 1);
      } else if (v >= -8388608n && v <= 8388607n) {
        enc = Buffer.alloc(4);
        enc[0] = 0xf0;
        enc.writeIntLE(Number(v), 1, 3);
      } else if (v >= -2147483648n && v <= 2147483647n) {
        enc = Buffer.alloc(5);
        enc[0] = 0xd0;
        enc.writeInt32LE(Number(v), 1);
      } else {
        enc = Buffer.alloc(9);
        enc[0] = 0xe0;
        enc.writeBigInt64LE(v, 1);
      }
    } else {
      const s = typeof el === 'string' ? Buffer.from(el) : el;
      if (s.length < 64) enc = Buffer.concat([Buffer.from([s.length]), s]);
      else if (s.length < 16384) enc = Buffer.concat([Buffer.from([0x40 | (s.length >> 8), s.length & 0xff]), s]);
      else {
        const h = Buffer.alloc(5);
        h[0] = 0x80;
        h.writeUInt32BE(s.length, 1);
        enc = Buffer.concat([h, s]);
      }
    }
    let pl: Buffer;
    if (prevlen < 254) pl = Buffer.from([prevlen]);
    else {
      pl = Buffer.alloc(5);
      pl[0] = 0xfe;
      pl.writeUInt32LE(prevlen, 1);
    }
    const entry = Buffer.concat([pl, enc]);
    entries.push(entry);
    tail = offset;
    offset += entry.length;
    prevlen = entry.length;
  }
  const body = Buffer.concat(entries);
  const out = Buffer.alloc(10 + body.length + 1);
  out.writeUInt32LE(out.length, 0);
  out.writeUInt32LE(elements.length ? tail : 10, 4);
  out.writeUInt16LE(Math.min(elements.length, 65535), 8);
  body.copy(out, 10);
  out[out.length - 1] = 0xff;
  return out;
}

/** Encode an intset of the given width (2, 4 or 8 bytes). */
export function encodeIntset(width: 2 | 4 | 8, values: (number | bigint)[]): Buffer {
  const out = Buffer.alloc(8 + width * values.length);
  out.writeUInt32LE(width, 0);
  out.writeUInt32LE(values.length, 4);
  values.forEach((v, i) => {
    if (width === 2) out.writeInt16LE(Number(v), 8 + 2 * i);
    else if (width === 4) out.writeInt32LE(Number(v), 8 + 4 * i);
    else out.writeBigInt64LE(BigInt(v), 8 + 8 * i);
  });
  return out;
}
