/**
 * Zipmap decoding (Redis ≤ 2.4 hashes, RDB v2–v3): `u8 zmlen`, then repeated
 * `len key | key | len value | u8 free | value | free padding bytes`, then 0xFF.
 * A len is 1 byte if < 254, else FE + u32 LE.
 */
import { END, EntryFeeder } from './blob';
import type { Element } from './elements';
import { ElementCollector } from './listpack';
import { blobReader, type Reader } from './reader';

function zmLen(r: Reader): number {
  const b = r.u8();
  if (b < 254) return b;
  if (b === 254) return r.u32le();
  return -1;
}

export class ZipmapFeeder extends EntryFeeder {
  protected header(r: Reader): void {
    r.u8(); // zmlen: a count hint (254 = unknown)
  }

  protected entry(r: Reader): Element | typeof END {
    const start = r.pos;
    const klen = zmLen(r);
    if (klen < 0) return END;
    if (klen > r.maxString) r.fail(`zipmap key of ${klen} bytes is too long`, 'CORRUPT', start);
    const key = r.bytes(klen);
    const vlen = zmLen(r);
    if (vlen < 0) r.fail('zipmap ends between a key and its value', 'CORRUPT', start);
    if (vlen > r.maxString) r.fail(`zipmap value of ${vlen} bytes is too long`, 'CORRUPT', start);
    const free = r.u8();
    const value = r.bytes(vlen);
    r.skip(free);
    this.second = value;
    return key;
  }

  protected done(): void {}
}

/** Decode a whole zipmap into alternating keys and values (for tests and tools). */
export function decodeZipmap(blob: Buffer, fileOffset = -1): Element[] {
  const sink = new ElementCollector();
  new ZipmapFeeder(blob.length).feed(blobReader(blob, 'zipmap', fileOffset), sink);
  return sink.items;
}
