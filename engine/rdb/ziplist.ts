/**
 * Ziplist decoding (Redis `ziplist.c`): `u32 zlbytes, u32 zltail, u16 zllen` (LE; 65535 =
 * count by walking), entries, then 0xFF. Each entry is a prevlen (1 byte if < 254, else FE +
 * u32 LE) then:
 *
 * | Encoding          | Entry                          |
 * |-------------------|--------------------------------|
 * | 00pppppp          | string, ≤ 63 bytes             |
 * | 01pppppp q        | string, 14-bit BE length       |
 * | 10______ + u32 BE | string, 32-bit length          |
 * | C0 / D0 / E0      | int16 / int32 / int64 LE       |
 * | F0                | int24 LE                       |
 * | FE                | int8                           |
 * | F1–FD             | immediate (b & 15) − 1 = 0..12 |
 */
import { END, EntryFeeder } from './blob';
import type { Element } from './elements';
import { ElementCollector } from './listpack';
import { blobReader, type Reader } from './reader';

/** Read one ziplist entry; END at the 0xFF terminator. */
export function zlEntry(r: Reader): Element | typeof END {
  const start = r.pos;
  const p = r.u8();
  if (p === 0xff) return END;
  if (p === 0xfe) r.skip(4);
  const enc = r.u8();
  switch (enc >> 6) {
    case 0:
      return r.bytes(enc & 0x3f);
    case 1:
      return r.bytes(((enc & 0x3f) << 8) | r.u8());
    case 2: {
      const len = r.u32be();
      if (len > r.maxString) r.fail(`ziplist string of ${len} bytes is too long`, 'CORRUPT', start);
      return r.bytes(len);
    }
  }
  switch (enc) {
    case 0xc0:
      return (r.u16le() << 16) >> 16;
    case 0xd0:
      return r.i32le();
    case 0xe0:
      return r.i64leExact();
    case 0xf0: {
      const lo = r.u16le();
      const hi = r.u8();
      return ((hi << 24) | (lo << 8)) >> 8;
    }
    case 0xfe:
      return (r.u8() << 24) >> 24;
  }
  if (enc >= 0xf1 && enc <= 0xfd) return (enc & 0x0f) - 1;
  return r.fail(`invalid ziplist entry encoding 0x${enc.toString(16)}`, 'CORRUPT', start);
}

export class ZiplistFeeder extends EntryFeeder {
  private declared = 0;

  protected header(r: Reader): void {
    const at = r.pos;
    const zlbytes = r.u32le();
    const zltail = r.u32le();
    this.declared = r.u16le();
    if (zlbytes !== this.blobLen) {
      r.fail(`ziplist header says ${zlbytes} bytes but the blob holds ${this.blobLen}`, 'CORRUPT', at);
    }
    if (zltail >= this.blobLen) r.fail(`ziplist tail offset ${zltail} is outside the blob`, 'CORRUPT', at);
  }

  protected entry(r: Reader): Element | typeof END {
    return zlEntry(r);
  }

  protected done(r: Reader): void {
    if (this.declared !== 65535 && this.declared !== this.count) {
      r.fail(`ziplist header says ${this.declared} entries but it holds ${this.count}`);
    }
  }
}

/** Decode a whole ziplist into its elements (for tests and tools). */
export function decodeZiplist(blob: Buffer, fileOffset = -1): Element[] {
  const sink = new ElementCollector();
  new ZiplistFeeder(blob.length).feed(blobReader(blob, 'ziplist', fileOffset), sink);
  return sink.items;
}
