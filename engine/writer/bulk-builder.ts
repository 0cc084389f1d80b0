/**
 * Builds a command's arguments as RESP bulk strings in a reused scratch Buffer and hands
 * them over as one `EncodedArgs`: a snapshot's MSET batches are encoded straight from the
 * RDB chunk, with no argument array and no Buffer per key or value.
 */
import { EncodedArgs, writeDecimal } from '../resp/encoder';

/** Below this many bytes a JS loop copies faster than a call into Buffer.copy. */
export const LOOP_COPY_MAX = 48;

/** src[start, start+len) copied to out at `at` (a loop for short spans); returns the offset after it. */
export function copySpan(src: Buffer, start: number, len: number, out: Buffer, at: number): number {
  if (len <= LOOP_COPY_MAX) {
    for (let i = 0; i < len; i++) out[at + i] = src[start + i]!;
    return at + len;
  }
  return at + src.copy(out, at, start, start + len);
}
/** Room for `$<len>\r\n` and the closing `\r\n` of one bulk string. */
const FRAMING = 16;

export class BulkBuilder {
  private scratch: Buffer;
  private used = 0;
  /** Bulk strings written since the last `take()`. */
  count = 0;

  constructor(initialBytes = 64 * 1024) {
    this.scratch = Buffer.allocUnsafe(initialBytes);
  }

  get bytes(): number {
    return this.used;
  }

  /** The bulk string src[start, start+len). */
  span(src: Buffer, start: number, len: number): this {
    const pos = this.open(len);
    return this.close(copySpan(src, start, len, this.scratch, pos));
  }

  /** The arguments written so far; the builder starts empty again. */
  take(): EncodedArgs {
    const bytes = Buffer.allocUnsafe(this.used);
    this.scratch.copy(bytes, 0, 0, this.used);
    const args = new EncodedArgs(bytes, this.count);
    this.used = 0;
    this.count = 0;
    return args;
  }

  /** Writes a bulk string's header for `len` bytes; returns where its content goes. */
  private open(len: number): number {
    if (this.used + len + FRAMING > this.scratch.length) this.grow(this.used + len + FRAMING);
    const out = this.scratch;
    let pos = this.used;
    out[pos++] = 0x24; // $
    pos = writeDecimal(out, pos, len);
    out[pos++] = 13;
    out[pos++] = 10;
    return pos;
  }

  private close(end: number): this {
    this.scratch[end] = 13;
    this.scratch[end + 1] = 10;
    this.used = end + 2;
    this.count++;
    return this;
  }

  private grow(need: number): void {
    const bigger = Buffer.allocUnsafe(Math.max(need, this.scratch.length * 2));
    this.scratch.copy(bigger, 0, 0, this.used);
    this.scratch = bigger;
  }
}
