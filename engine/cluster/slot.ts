/**
 * Redis Cluster key → slot: CRC16/XMODEM of the key (or of its hash tag) mod 16384
 * (REFERENCE §4: crc16("123456789") = 0x31C3, "foo" → 12182).
 */
export const SLOTS = 16384;

const TABLE = (() => {
  const t = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i << 8;
    for (let j = 0; j < 8; j++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    t[i] = crc;
  }
  return t;
})();

export function crc16(buf: Uint8Array, start = 0, end = buf.length): number {
  let crc = 0;
  for (let i = start; i < end; i++) crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >> 8) ^ buf[i]) & 0xff];
  return crc;
}

/** The key's slot: only the part inside the first `{…}` counts when it is non-empty. */
export function keySlot(key: Uint8Array | string): number {
  const buf = typeof key === 'string' ? Buffer.from(key) : key;
  return keySlotAt(buf, 0, buf.length);
}

/** `keySlot` of the key buf[start, end), without a Buffer for it. */
export function keySlotAt(buf: Uint8Array, start: number, end: number): number {
  let open = -1;
  for (let i = start; i < end; i++) {
    if (buf[i] === 0x7b) {
      open = i;
      break;
    }
  }
  if (open >= 0) {
    for (let close = open + 1; close < end; close++) {
      if (buf[close] === 0x7d) {
        if (close > open + 1) return crc16(buf, open + 1, close) & (SLOTS - 1);
        break;
      }
    }
  }
  return crc16(buf, start, end) & (SLOTS - 1);
}

/** A hash tag (`{…}`) that lands in one of `slots`, for keys the engine places itself (heartbeat, temporary keys). */
export function tagForSlot(accept: (slot: number) => boolean): string {
  for (let i = 0; i < 1_000_000; i++) {
    const tag = `dts${i}`;
    if (accept(keySlot(tag))) return tag;
  }
  throw new Error('no hash tag found for the requested slots');
}
