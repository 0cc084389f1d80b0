/**
 * A stream value of RDB type 21 (STREAM_LISTPACKS_3, Redis 7.2+) turned into type 19
 * (STREAM_LISTPACKS_2, Redis 7.0), so a 7.0/7.1 destination can RESTORE it instead of
 * having it rewritten as commands. The two differ only in each consumer's active-time
 * (added in 7.2), which is dropped; everything else — entries, ids, counters, groups,
 * PELs, consumers and their seen-time — keeps its exact bytes. Rewritten with commands, a
 * consumer's seen-time would become the destination's clock.
 *
 * Layout walked (rdb.c rdbSaveObject, stream part): listpack count, then per listpack
 * two strings; length; last id; first id; max deleted id; entries added; group count,
 * then per group: name, last id, entries read, PEL (count, then 16-byte id, 8-byte
 * delivery time, delivery count per entry), consumers (count, then name, 8-byte
 * seen-time, 8-byte active-time [type 21 only], PEL count and 16-byte ids).
 */
import { WriterError } from './errors';

export function streamType21To19(raw: Buffer): Buffer {
  const r = new RawCursor(raw);
  const listpacks = r.len();
  for (let i = 0; i < listpacks; i++) {
    r.skipString(); // master entry id
    r.skipString(); // listpack
  }
  for (let i = 0; i < 8; i++) r.len(); // length, last id (2), first id (2), max deleted id (2), entries added
  const pieces: Buffer[] = [];
  let copied = 0;
  const groups = r.len();
  for (let g = 0; g < groups; g++) {
    r.skipString(); // name
    r.len();
    r.len(); // last id
    r.len(); // entries read
    const pel = r.len();
    for (let p = 0; p < pel; p++) {
      r.skip(16 + 8); // id, delivery time
      r.len(); // delivery count
    }
    const consumers = r.len();
    for (let c = 0; c < consumers; c++) {
      r.skipString(); // name
      r.skip(8); // seen-time
      pieces.push(raw.subarray(copied, r.pos));
      r.skip(8); // active-time: not in type 19
      copied = r.pos;
      r.skip(16 * r.len()); // the consumer's PEL ids
    }
  }
  if (r.pos !== raw.length) r.fail(`${raw.length - r.pos} bytes follow the last consumer group`);
  pieces.push(raw.subarray(copied));
  return Buffer.concat(pieces);
}

/** Just enough of the RDB encoding to step over lengths and strings. */
class RawCursor {
  pos = 0;

  constructor(private readonly buf: Buffer) {}

  fail(why: string): never {
    throw new WriterError('STREAM_DOWNGRADE', `a stream value of RDB type 21 does not have the expected layout (${why} at byte ${this.pos})`,
      'this is a bug in the engine; please report it with the source version');
  }

  private u8(): number {
    if (this.pos >= this.buf.length) this.fail('the value ends early');
    return this.buf[this.pos++];
  }

  skip(n: number): void {
    if (this.pos + n > this.buf.length) this.fail('the value ends early');
    this.pos += n;
  }

  /** A length; values past 2^53 (a 64-bit id part, entries-read -1) only need stepping over. */
  len(): number {
    const b = this.u8();
    switch (b >> 6) {
      case 0: return b & 0x3f;
      case 1: return ((b & 0x3f) << 8) | this.u8();
      case 2:
        if (b === 0x80) {
          this.skip(4);
          return this.buf.readUInt32BE(this.pos - 4);
        }
        if (b === 0x81) {
          this.skip(8);
          return Number(this.buf.readBigUInt64BE(this.pos - 8));
        }
        return this.fail(`unknown length prefix 0x${b.toString(16)}`);
      default:
        return this.fail(`a string encoding where a length belongs (0x${b.toString(16)})`);
    }
  }

  skipString(): void {
    const b = this.buf[this.pos];
    if (b === undefined) this.fail('the value ends early');
    if (b >> 6 !== 3) {
      const n = this.len();
      this.skip(n);
      return;
    }
    this.pos++;
    switch (b & 0x3f) {
      case 0: return this.skip(1);
      case 1: return this.skip(2);
      case 2: return this.skip(4);
      case 3: {
        const compressed = this.len();
        this.len(); // uncompressed length
        return this.skip(compressed);
      }
      default: return this.fail(`unknown string encoding 0x${b.toString(16)}`);
    }
  }
}
