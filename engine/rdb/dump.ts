/**
 * DUMP payloads: `type | RDB value bytes | u16 LE RDB version | u64 LE CRC-64`, the CRC covering
 * everything before it. Built from a `key` event's `typeId` and `raw` without re-encoding, so
 * RESTORE can recreate the key on a destination that accepts the type and the version (Redis
 * ≥ 4.0 accepts any version ≤ its own; see REFERENCE §3).
 */
import { Crc64 } from './crc64';
import { hex64 } from './errors';

export function buildDumpPayload(typeId: number, raw: Uint8Array, rdbVersion: number): Buffer {
  if (!Number.isInteger(typeId) || typeId < 0 || typeId > 255) throw new RangeError(`invalid RDB type ${typeId}`);
  if (!Number.isInteger(rdbVersion) || rdbVersion < 0 || rdbVersion > 0xffff) {
    throw new RangeError(`invalid RDB version ${rdbVersion}`);
  }
  const out = Buffer.allocUnsafe(1 + raw.length + 2 + 8);
  out[0] = typeId;
  out.set(raw, 1);
  const v = 1 + raw.length;
  out[v] = rdbVersion & 0xff;
  out[v + 1] = rdbVersion >> 8;
  new Crc64().update(out, 0, v + 2).writeLE(out, v + 2);
  return out;
}

/** Split a DUMP payload into its parts, checking the CRC (throws Error when it does not match). */
export function parseDumpPayload(payload: Uint8Array): { typeId: number; raw: Buffer; rdbVersion: number } {
  if (payload.length < 11) throw new Error('DUMP payload too short');
  const b = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  const v = b.length - 10;
  const crc = new Crc64().update(b, 0, v + 2);
  if (!crc.equalsLE(b, v + 2)) {
    throw new Error(`DUMP payload CRC mismatch (stored ${hex64(b.readBigUInt64LE(v + 2))}, computed ${hex64(crc.digest())})`);
  }
  return { typeId: b[0]!, raw: b.subarray(1, v), rdbVersion: b.readUInt16LE(v) };
}
