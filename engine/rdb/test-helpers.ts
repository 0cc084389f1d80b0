/**
 * Helpers shared by the RDB parser tests: chunked feeding, reassembly of big keys, a seeded
 * PRNG and a tiny RDB writer for synthetic files. Not used by production code.
 */
import { Crc64 } from './crc64';
import { RdbParser } from './parser';
import type {
  ModuleValue,
  RdbEvent,
  RdbParserOptions,
  RdbTypeName,
  StreamEntry,
  StreamMeta,
} from './types';

/** mulberry32: a small seeded PRNG returning floats in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Parse in one push. */
export function parseWhole(buf: Buffer, opts: RdbParserOptions = {}): RdbEvent[] {
  const p = new RdbParser(opts);
  const events = [...p.push(buf)];
  events.push(...p.end());
  return events;
}

/** Parse feeding chunks whose sizes come from `size()` (e.g. random 1..7). */
export function parseChunked(buf: Buffer, size: () => number, opts: RdbParserOptions = {}): RdbEvent[] {
  const p = new RdbParser(opts);
  const events: RdbEvent[] = [];
  let i = 0;
  while (i < buf.length) {
    const n = Math.max(1, size());
    // Copy each chunk so that no view of the original file can hide a buffering bug.
    events.push(...p.push(Buffer.from(buf.subarray(i, i + n))));
    i += n;
  }
  events.push(...p.end());
  return events;
}

/** A key reassembled from either a `key` event or key-start / key-batch* / key-end. */
export interface AssembledKey {
  db: number;
  key: Buffer;
  typeId: number;
  typeName: RdbTypeName;
  encoding: string;
  expireAt: number | undefined;
  idle: number | undefined;
  freq: number | undefined;
  value: unknown;
  /** Raw bytes: from a `key` event, or for big modules the concatenated pieces. */
  raw: Buffer | undefined;
  big: boolean;
  batches: number;
}

export function assembleKeys(events: RdbEvent[]): AssembledKey[] {
  const keys: AssembledKey[] = [];
  let cur: AssembledKey | null = null;
  let parts: unknown[] = [];
  let module: ModuleValue | undefined;
  for (const ev of events) {
    if (ev.type === 'string-run') {
      if (cur) throw new Error('string run inside a big key');
      for (let i = 0; i < ev.count; i++) {
        const [ks, kl, vs, vl] = ev.spans.subarray(i * 4, i * 4 + 4);
        keys.push({
          db: ev.db,
          key: Buffer.from(ev.buf.subarray(ks!, ks! + kl!)),
          typeId: 0,
          typeName: 'string',
          encoding: 'string',
          expireAt: undefined,
          idle: undefined,
          freq: undefined,
          value: Buffer.from(ev.buf.subarray(vs!, vs! + vl!)),
          raw: undefined,
          big: false,
          batches: 0,
        });
      }
    } else if (ev.type === 'key') {
      if (cur) throw new Error('key event inside a big key');
      keys.push({
        db: ev.db,
        key: ev.key,
        typeId: ev.typeId,
        typeName: ev.typeName,
        encoding: ev.encoding,
        expireAt: ev.expireAt,
        idle: ev.idle,
        freq: ev.freq,
        value: ev.value,
        raw: ev.raw,
        big: false,
        batches: 0,
      });
    } else if (ev.type === 'key-start') {
      if (cur) throw new Error('nested key-start');
      cur = {
        db: ev.db,
        key: ev.key,
        typeId: ev.typeId,
        typeName: ev.typeName,
        encoding: ev.encoding,
        expireAt: ev.expireAt,
        idle: ev.idle,
        freq: ev.freq,
        value: undefined,
        raw: undefined,
        big: true,
        batches: 0,
      };
      parts = [];
      module = ev.module;
    } else if (ev.type === 'key-batch') {
      if (!cur || !cur.key.equals(ev.key) || cur.typeName !== ev.typeName) throw new Error('key-batch outside its key');
      cur.batches++;
      parts.push(...(ev.items as unknown[]));
    } else if (ev.type === 'key-end') {
      if (!cur || !cur.key.equals(ev.key)) throw new Error('key-end outside its key');
      if (ev.count !== parts.length) throw new Error(`key-end count ${ev.count} != ${parts.length} items`);
      switch (cur.typeName) {
        case 'string':
          cur.value = Buffer.concat(parts as Buffer[]);
          break;
        case 'module':
          cur.value = module;
          cur.raw = Buffer.concat(parts as Buffer[]);
          break;
        case 'stream':
          cur.value = { ...(ev.stream as StreamMeta), entries: parts as StreamEntry[] };
          break;
        default:
          cur.value = parts;
      }
      keys.push(cur);
      cur = null;
    }
  }
  if (cur) throw new Error('unterminated big key');
  return keys;
}

/** A JSON-able, Buffer-free, order-preserving view of events (to compare two parses). */
export function canonical(v: unknown): unknown {
  if (Buffer.isBuffer(v)) return 'b:' + v.toString('hex');
  if (typeof v === 'bigint') return 'n:' + v.toString();
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : Number.isNaN(v) ? 'NaN' : v === Infinity ? 'inf' : v === -Infinity ? '-inf' : v;
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) o[k] = canonical(x);
    return o;
  }
  return v;
}

// ---------------------------------------------------------------------------------------------
// A minimal RDB writer for synthetic test files.

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
