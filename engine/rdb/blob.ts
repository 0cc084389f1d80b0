/**
 * Blob decoding plumbing. A "blob" is an RDB string holding an encoded container (ziplist,
 * listpack, intset, zipmap). A `BlobFeeder` decodes the container entry by entry from a Reader
 * and is resumable: given a non-final reader it stops at an entry boundary when the bytes run
 * out. `BlobPump` feeds such a reader incrementally from the RDB stream (decompressing LZF on the
 * way), so a container bigger than memory budgets is never held whole.
 */
import { RdbError } from './errors';
import type { Element, Sink } from './elements';
import { LzfError, LzfStream } from './lzf';
import { NEED_MORE, Reader } from './reader';

export interface BlobFeeder {
  /**
   * Decode entries from `r` into `sink`. Returns true once the container's end marker was read
   * (and checked to be at the blob's end); false when `r` (not final) ran out, with `r.pos` left
   * at an entry boundary.
   */
  feed(r: Reader, sink: Sink<unknown>): boolean;
}

/**
 * Base for feeders reading one entry at a time: subclasses implement `header` and `entry`
 * (returning END at the end marker) and `done` for final checks.
 */
export const END: unique symbol = Symbol('end');

export abstract class EntryFeeder implements BlobFeeder {
  protected headerDone = false;
  protected count = 0;

  constructor(readonly blobLen: number) {}

  protected abstract header(r: Reader): void;
  protected abstract entry(r: Reader): Element | typeof END;
  protected abstract done(r: Reader): void;
  /** Set by `entry` when an entry is a pair (zipmap): delivered right after the returned element. */
  protected second: Element | null = null;

  feed(r: Reader, sink: Sink<unknown>): boolean {
    let save = r.pos;
    try {
      if (!this.headerDone) {
        this.header(r);
        this.headerDone = true;
        save = r.pos;
      }
      for (;;) {
        const v = this.entry(r);
        if (v === END) {
          if (r.base + r.pos !== this.blobLen) {
            r.fail(`end marker found ${this.blobLen - r.base - r.pos} bytes before the end of the blob`);
          }
          this.done(r);
          return true;
        }
        this.count++;
        sink.add(v);
        if (this.second !== null) {
          sink.add(this.second);
          this.second = null;
        }
        save = r.pos;
      }
    } catch (e) {
      if (e === NEED_MORE) {
        r.pos = save;
        return false;
      }
      throw e;
    }
  }
}

const EMPTY = Buffer.alloc(0);

/** Moves a blob's bytes from the RDB reader into an inner reader, decompressing LZF. */
export class BlobPump {
  readonly inner: Reader;
  /** Compressed (or plain) bytes still to take from the RDB. */
  remaining: number;
  private readonly lzf: LzfStream | null;

  constructor(lzf: boolean, clen: number, ulen: number, name: string, fileOffset: number, maxString: number) {
    this.remaining = clen;
    this.lzf = lzf ? new LzfStream(ulen) : null;
    this.inner = new Reader(EMPTY, 0, 0, clen === 0, 0, maxString, name, fileOffset);
  }

  /** Take what the RDB reader has buffered (up to the blob's end). False if it had nothing. */
  pull(r: Reader): boolean {
    const avail = r.end - r.pos;
    if (avail === 0 || this.remaining === 0) return false;
    const take = avail < this.remaining ? avail : this.remaining;
    const src = r.buf.subarray(r.pos, r.pos + take);
    r.pos += take;
    this.remaining -= take;
    let data: Buffer = src;
    if (this.lzf) {
      try {
        const outs = this.lzf.push(src);
        data = outs.length === 1 ? outs[0]! : Buffer.concat(outs);
        if (this.remaining === 0) this.lzf.finish();
      } catch (e) {
        if (e instanceof LzfError) {
          throw new RdbError('CORRUPT', `invalid LZF-compressed ${this.inner.blobName}: ${e.message}`, this.inner.blobFileOffset);
        }
        throw e;
      }
    }
    const inner = this.inner;
    const left = inner.end - inner.pos;
    inner.base += inner.pos;
    if (left === 0) {
      inner.buf = data;
    } else {
      const nb = Buffer.allocUnsafe(left + data.length);
      nb.set(inner.buf.subarray(inner.pos, inner.end), 0);
      nb.set(data, left);
      inner.buf = nb;
    }
    inner.pos = 0;
    inner.end = inner.buf.length;
    if (this.remaining === 0) inner.final = true;
    return true;
  }
}
