/** Keys and values as a person reads them in messages and reports. */

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
