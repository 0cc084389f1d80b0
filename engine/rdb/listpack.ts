/**
 * Listpack decoding (Redis `listpack.c`): `u32 total_bytes, u16 count` (LE; 65535 = unknown),
 * entries, then 0xFF. Each entry is encoding+data followed by a backlen (the size of
 * encoding+data, 7 bits per byte) which is validated and skipped.
 *
 * | First byte   | Entry                        |
 * |--------------|------------------------------|
 * | 0xxxxxxx     | uint 0..127                  |
 * | 10xxxxxx     | string, 6-bit length         |
 * | 110xxxxx y   | signed 13-bit integer        |
 * | 1110xxxx y   | string, 12-bit length        |
 * | F0 + u32 LE  | string, 32-bit length        |
 * | F1/F2/F3/F4  | int16 / int24 / int32 / int64 |
 */
import { END, EntryFeeder } from './blob';
import { BufferSink, type Element } from './elements';
import { blobReader, type Reader } from './reader';

/** Size of the backlen field for an entry whose encoding+data is `size` bytes. */
export function lpBacklenSize(size: number): number {
  return size <= 127 ? 1 : size < 16383 ? 2 : size < 2097151 ? 3 : size < 268435455 ? 4 : 5;
}

/** Read one listpack entry; END at the 0xFF terminator. */
export function lpEntry(r: Reader): Element | typeof END {
  const start = r.pos;
  const b = r.u8();
  let v: Element;
  let size: number;
  if (b < 0x80) {
    v = b;
    size = 1;
  } else if (b < 0xc0) {
    const len = b & 0x3f;
    v = r.bytes(len);
    size = 1 + len;
  } else if (b < 0xe0) {
    const x = ((b & 0x1f) << 8) | r.u8();
    v = x >= 4096 ? x - 8192 : x;
    size = 2;
  } else if (b < 0xf0) {
    const len = ((b & 0x0f) << 8) | r.u8();
    v = r.bytes(len);
    size = 2 + len;
  } else {
    switch (b) {
      case 0xf0: {
        const len = r.u32le();
        if (len > r.maxString) r.fail(`listpack string of ${len} bytes is too long`, 'CORRUPT', start);
        v = r.bytes(len);
        size = 5 + len;
        break;
      }
      case 0xf1:
        v = (r.u16le() << 16) >> 16;
        size = 3;
        break;
      case 0xf2: {
        const lo = r.u16le();
        const hi = r.u8();
        v = ((hi << 24) | (lo << 8)) >> 8;
        size = 4;
        break;
      }
      case 0xf3:
        v = r.i32le();
        size = 5;
        break;
      case 0xf4:
        v = r.i64leExact();
        size = 9;
        break;
      case 0xff:
        return END;
      default:
        return r.fail(`invalid listpack entry encoding 0x${b.toString(16)}`, 'CORRUPT', start);
    }
  }
  const bl = lpBacklenSize(size);
  r.ensure(bl);
  const buf = r.buf;
  const p = r.pos;
  let x = buf[p]!;
  for (let j = 1; j < bl; j++) x = x * 128 + (buf[p + j]! & 127);
  if (x !== size) r.fail(`listpack entry backlen ${x} does not match its size ${size}`, 'CORRUPT', start);
  r.pos = p + bl;
  return v;
}

export class ListpackFeeder extends EntryFeeder {
  private declared = 0;

  protected header(r: Reader): void {
    const at = r.pos;
    const total = r.u32le();
    this.declared = r.u16le();
    if (total !== this.blobLen) {
      r.fail(`listpack header says ${total} bytes but the blob holds ${this.blobLen}`, 'CORRUPT', at);
    }
  }

  protected entry(r: Reader): Element | typeof END {
    return lpEntry(r);
  }

  protected done(r: Reader): void {
    if (this.declared !== 65535 && this.declared !== this.count) {
      r.fail(`listpack header says ${this.declared} entries but it holds ${this.count}`);
    }
  }
}

/** Decode a whole listpack into its elements (for tests and tools). */
export function decodeListpack(blob: Buffer, fileOffset = -1): Element[] {
  const sink = new ElementCollector();
  new ListpackFeeder(blob.length).feed(blobReader(blob, 'listpack', fileOffset), sink);
  return sink.items;
}

/** A sink that keeps raw elements (ints stay numbers). */
export class ElementCollector extends BufferSink {
  override items: any[] = [];
  override add(v: Element): void {
    this.items.push(v);
  }
}
