/**
 * DUMP payloads framed as an RDB stream, so the scan reader feeds the same snapshot
 * loader (parser, filter, KeyWriter: RESTORE where the destination loads the encoding,
 * commands where it cannot) that a replication snapshot or an RDB file feeds. A DUMP
 * payload is `type | value bytes | u16 RDB version | u64 CRC` (rdb/dump.ts); a key
 * record in an RDB is `[EXPIRETIME_MS ms] type | key | value bytes` — the same value
 * bytes, so nothing is decoded or re-encoded on the way.
 */
import type { RdbMagic } from '../../../rdb/types';
import { RDB_OPCODE } from '../../../rdb/opcodes';
import { copySpan } from '../../../writer/bulk-builder';

/** A key as read from the source: its DUMP payload (null: it no longer exists) and absolute expiry. */
export interface KeyRead {
  key: Buffer;
  payload: Buffer | null;
  /** Unix ms; undefined when the key has none. */
  expireAt: number | undefined;
  /** Over the big-key threshold: not DUMPed, to be read in windows (payload null). */
  big?: boolean;
  /** A plain string read by MGET rather than DUMP (payload null): framed as an RDB string record. */
  value?: Buffer;
}

/** The RDB header of a snapshot of this magic and version (checksum left out: 0 at the end). */
export function rdbHeader(magic: RdbMagic, version: number): Buffer {
  return Buffer.from(magic === 'VALKEY' ? `VALKEY${String(version).padStart(3, '0')}` : `REDIS${String(version).padStart(4, '0')}`, 'latin1');
}

export function selectDbRecord(db: number): Buffer {
  return Buffer.concat([Buffer.from([RDB_OPCODE.SELECTDB]), rdbLength(db)]);
}

/** The end of the stream: EOF and a zero checksum (the parser skips a zero one; each DUMP carried its own CRC). */
export function rdbEof(): Buffer {
  const out = Buffer.alloc(9);
  out[0] = RDB_OPCODE.EOF;
  return out;
}

/** The key records of the reads that found a key (nothing for a key gone), written into one Buffer. */
export function keyRecords(reads: readonly KeyRead[]): Buffer {
  let size = 0;
  for (const r of reads) {
    const p = r.payload;
    const v = r.value;
    if (!v && (!p || p.length < 11)) continue;
    if (r.expireAt !== undefined) size += 9;
    size += 1 + lengthSize(r.key.length) + r.key.length + (v ? lengthSize(v.length) + v.length : p!.length - 11);
  }
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (const r of reads) {
    const p = r.payload;
    const v = r.value;
    if (!v && (!p || p.length < 11)) continue;
    if (r.expireAt !== undefined) {
      out[at] = RDB_OPCODE.EXPIRETIME_MS;
      out.writeBigUInt64LE(BigInt(r.expireAt), at + 1);
      at += 9;
    }
    out[at++] = v ? 0 : p![0]!; // the type: 0 a plain string
    at = copySpan(r.key, 0, r.key.length, out, writeLength(out, at, r.key.length));
    if (v) {
      at = copySpan(v, 0, v.length, out, writeLength(out, at, v.length));
    } else {
      at += p!.copy(out, at, 1, p!.length - 10);
    }
  }
  return out;
}

/**
 * Plain strings' records straight from the raw replies (resp/raw.ts bulkSpans offsets): key i at
 * `keySpans[i*3+1]` of `keys` (a SCAN reply), its value at `valueSpans[i*3+1]` of `values` (the MGET
 * reply); a null value (not a string, or gone) and a value over `limit` (> 0) are left out.
 */
export function stringRecords(keys: Buffer, keySpans: Int32Array, values: Buffer, valueSpans: Int32Array, n: number, limit: number): Buffer {
  let size = 0;
  for (let i = 0; i < n; i++) {
    const vl = valueSpans[i * 3 + 2]!;
    if (vl < 0 || (limit > 0 && vl > limit)) continue;
    const kl = keySpans[i * 3 + 2]!;
    size += 1 + lengthSize(kl) + kl + lengthSize(vl) + vl;
  }
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (let i = 0; i < n; i++) {
    const vl = valueSpans[i * 3 + 2]!;
    if (vl < 0 || (limit > 0 && vl > limit)) continue;
    const ks = keySpans[i * 3 + 1]!;
    const kl = keySpans[i * 3 + 2]!;
    const vs = valueSpans[i * 3 + 1]!;
    out[at++] = 0; // a plain string
    at = copySpan(keys, ks, kl, out, writeLength(out, at, kl));
    at = copySpan(values, vs, vl, out, writeLength(out, at, vl));
  }
  return out;
}

/** The RDB payload version a DUMP was made with. */
export function payloadVersion(payload: Buffer): number {
  return payload.readUInt16LE(payload.length - 10);
}

/** The magic of a payload version: Valkey's own formats are 80 and up. */
export function magicOfVersion(version: number): RdbMagic {
  return version >= 80 ? 'VALKEY' : 'REDIS';
}

function lengthSize(n: number): number {
  return n < 1 << 6 ? 1 : n < 1 << 14 ? 2 : n <= 0xffffffff ? 5 : 9;
}

/** `n` in RDB length encoding at `at`; returns the offset after it. */
function writeLength(out: Buffer, at: number, n: number): number {
  if (n < 1 << 6) {
    out[at] = n;
    return at + 1;
  }
  if (n < 1 << 14) {
    out[at] = 0x40 | (n >> 8);
    out[at + 1] = n & 0xff;
    return at + 2;
  }
  if (n <= 0xffffffff) {
    out[at] = 0x80;
    out.writeUInt32BE(n, at + 1);
    return at + 5;
  }
  out[at] = 0x81;
  out.writeBigUInt64BE(BigInt(n), at + 1);
  return at + 9;
}

/** RDB length encoding: 6-bit, 14-bit, 32-bit or 64-bit. */
function rdbLength(n: number): Buffer {
  if (n < 1 << 6) return Buffer.from([n]);
  if (n < 1 << 14) return Buffer.from([0x40 | (n >> 8), n & 0xff]);
  if (n <= 0xffffffff) {
    const b = Buffer.allocUnsafe(5);
    b[0] = 0x80;
    b.writeUInt32BE(n, 1);
    return b;
  }
  const b = Buffer.allocUnsafe(9);
  b[0] = 0x81;
  b.writeBigUInt64BE(BigInt(n), 1);
  return b;
}
