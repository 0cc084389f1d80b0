/**
 * Small helpers for keys: cluster hash slots, printable names for binary keys
 * and values, and SCAN MATCH patterns for a key prefix.
 */

const CRC16_TABLE = (() => {
  const table = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i << 8;
    for (let j = 0; j < 8; j++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    table[i] = crc;
  }
  return table;
})();

function crc16(buf: Buffer, start: number, end: number): number {
  let crc = 0;
  for (let i = start; i < end; i++) crc = ((crc << 8) & 0xffff) ^ CRC16_TABLE[((crc >> 8) ^ buf[i]) & 0xff];
  return crc;
}

/** The cluster slot of a key (CRC16/XMODEM of the key or of its non-empty {hash tag}, mod 16384). */
export function keySlot(key: Buffer): number {
  const open = key.indexOf(0x7b); // {
  if (open >= 0) {
    const close = key.indexOf(0x7d, open + 1); // }
    if (close > open + 1) return crc16(key, open + 1, close) & 16383;
  }
  return crc16(key, 0, key.length) & 16383;
}

/**
 * A key or value as a person reads it: UTF-8 text when it is printable UTF-8,
 * otherwise redis-cli style with \xNN escapes.
 */
export function printable(buf: Buffer): string {
  const text = buf.toString('utf8');
  // eslint-disable-next-line no-control-regex
  if (!/[\u0000-\u001f\u007f\ufffd]/.test(text)) return text;
  let out = '';
  for (const byte of buf) {
    if (byte === 0x5c) out += '\\\\';
    else if (byte >= 0x20 && byte < 0x7f) out += String.fromCharCode(byte);
    else out += `\\x${byte.toString(16).padStart(2, '0')}`;
  }
  return out;
}

/** A value shortened for a conflict report. */
export function preview(value: Buffer | string | number | null | undefined, max = 64): string {
  if (value === null || value === undefined) return '(missing)';
  if (typeof value === 'number') return String(value);
  const buf = typeof value === 'string' ? Buffer.from(value) : value;
  const shown = printable(buf.length > max ? buf.subarray(0, max) : buf);
  return buf.length > max ? `${shown}… (${buf.length} bytes)` : shown;
}

/** SCAN MATCH pattern for keys starting with `prefix` (glob characters escaped). */
export function prefixPattern(prefix: string): Buffer {
  const bytes = Buffer.from(prefix);
  const out: number[] = [];
  for (const b of bytes) {
    if (b === 0x2a || b === 0x3f || b === 0x5b || b === 0x5d || b === 0x5c) out.push(0x5c); // * ? [ ] \
    out.push(b);
  }
  out.push(0x2a);
  return Buffer.from(out);
}

/** Identity of a key in a DB, usable as a Map key (binary-safe). */
export function keyId(db: number, key: Buffer): string {
  return `${db}:${key.toString('latin1')}`;
}
