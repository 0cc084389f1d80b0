/**
 * Intset decoding (Redis `intset.c`): `u32 encoding` (2, 4 or 8), `u32 length`, then `length`
 * sorted signed integers of that width, all little-endian.
 */
import { END, EntryFeeder } from './blob';
import type { Element } from './elements';
import { ElementCollector } from './listpack';
import { blobReader, type Reader } from './reader';

export class IntsetFeeder extends EntryFeeder {
  private width = 0;
  private length = 0;

  protected header(r: Reader): void {
    const at = r.pos;
    const enc = r.u32le();
    const len = r.u32le();
    if (enc !== 2 && enc !== 4 && enc !== 8) r.fail(`invalid intset encoding ${enc}`, 'CORRUPT', at);
    if (8 + len * enc !== this.blobLen) {
      r.fail(`intset of ${len} × ${enc}-byte integers does not fit its ${this.blobLen}-byte blob`, 'CORRUPT', at);
    }
    this.width = enc;
    this.length = len;
  }

  protected entry(r: Reader): Element | typeof END {
    if (this.count === this.length) return END;
    switch (this.width) {
      case 2:
        return (r.u16le() << 16) >> 16;
      case 4:
        return r.i32le();
      default:
        return r.i64leExact();
    }
  }

  protected done(): void {}
}

/** Decode a whole intset into its integers (for tests and tools). */
export function decodeIntset(blob: Buffer, fileOffset = -1): Element[] {
  const sink = new ElementCollector();
  new IntsetFeeder(blob.length).feed(blobReader(blob, 'intset', fileOffset), sink);
  return sink.items;
}
