/**
 * LZF decompression (the format of Redis `lzf_c.c`/`lzf_d.c`, RDB string encoding C3).
 *
 * Control byte c:
 *  - c < 32: copy c+1 literal bytes;
 *  - else: n = c>>5 (plus the next byte when n == 7), back = ((c & 31) << 8) + next + 1;
 *    copy n+2 bytes from `back` bytes behind the output position (ranges may overlap).
 *
 * `lzfDecompress` decodes a whole buffer; `LzfStream` decodes incrementally with an 8 KiB
 * window so a huge compressed value never has to be held whole.
 */

/** Largest back-reference distance (13 bits + 1). */
export const LZF_MAX_BACK = 8192;
/** Most output one input byte can produce (a 3-byte back-reference copies at most 264 bytes). */
export const LZF_MAX_RATIO = 88;

/** Thrown for malformed LZF data; callers convert it into an RdbError with an offset. */
export class LzfError extends Error {
  constructor(message: string, readonly inputIndex: number) {
    super(message);
    this.name = 'LzfError';
  }
}

/**
 * Decompress src[start, end) into a new Buffer of exactly `outLen` bytes.
 * Throws LzfError when the data is malformed or does not produce exactly `outLen` bytes.
 */
export function lzfDecompress(src: Uint8Array, start: number, end: number, outLen: number): Buffer {
  if (outLen > (end - start) * LZF_MAX_RATIO) {
    throw new LzfError(`declared size ${outLen} is impossible for ${end - start} compressed bytes`, start);
  }
  const out = Buffer.allocUnsafe(outLen);
  let ip = start;
  let op = 0;
  while (ip < end) {
    const ctrl = src[ip++]!;
    if (ctrl < 32) {
      const len = ctrl + 1;
      if (op + len > outLen) throw new LzfError('literal run overflows the declared size', ip - 1);
      if (ip + len > end) throw new LzfError('literal run past the end of the compressed data', ip - 1);
      if (len > 16) {
        out.set(src.subarray(ip, ip + len), op);
        op += len;
        ip += len;
      } else {
        for (let k = 0; k < len; k++) out[op++] = src[ip++]!;
      }
    } else {
      let len = ctrl >> 5;
      if (ip >= end) throw new LzfError('back-reference cut short', ip - 1);
      if (len === 7) {
        len += src[ip++]!;
        if (ip >= end) throw new LzfError('back-reference cut short', ip - 2);
      }
      const ref = op - ((ctrl & 0x1f) << 8) - src[ip++]! - 1;
      len += 2;
      if (ref < 0) throw new LzfError('back-reference before the start of the output', ip - 2);
      if (op + len > outLen) throw new LzfError('back-reference overflows the declared size', ip - 2);
      for (let k = 0; k < len; k++) out[op++] = out[ref + k]!;
    }
  }
  if (op !== outLen) throw new LzfError(`decompressed to ${op} bytes, declared ${outLen}`, end);
  return out;
}

/**
 * Incremental LZF decoder. Feed compressed bytes with `push`, which returns the newly produced
 * output as fresh Buffers (never reused) of at most chunkSize + 263 bytes. Keeps at most an 8 KiB
 * window plus one output chunk.
 */
export class LzfStream {
  private win: Buffer;
  /** Write position in `win`. */
  private op = 0;
  /** Start of the not-yet-emitted output in `win`. */
  private emitFrom = 0;
  /** Up to 34 compressed bytes of an incomplete control sequence. */
  private carry: Buffer = Buffer.alloc(0);
  /** Total output produced so far. */
  produced = 0;
  /** Total input consumed so far (for error offsets). */
  consumed = 0;

  constructor(readonly outLen: number, private readonly chunkSize = 64 * 1024) {
    this.win = Buffer.allocUnsafe(LZF_MAX_BACK + chunkSize + 264);
  }

  /** Decode as much of `input` as possible; returns the output produced (possibly empty). */
  push(input: Uint8Array): Buffer[] {
    const out: Buffer[] = [];
    let src: Uint8Array = input;
    if (this.carry.length) {
      const c = Buffer.allocUnsafe(this.carry.length + input.length);
      c.set(this.carry, 0);
      c.set(input, this.carry.length);
      src = c;
      this.consumed -= this.carry.length;
      this.carry = Buffer.alloc(0);
    }
    const end = src.length;
    let ip = 0;
    const win = this.win;
    const cap = win.length;
    while (ip < end) {
      const ctrl = src[ip]!;
      let need: number;
      if (ctrl < 32) need = ctrl + 2;
      else need = ctrl >> 5 === 7 ? 3 : 2;
      if (ip + need > end) break;
      // Emit in pieces of about chunkSize; one sequence writes at most 264 bytes, which fit.
      if (this.op - this.emitFrom >= this.chunkSize || this.op + 264 > cap) this.flush(out);
      let op = this.op;
      if (ctrl < 32) {
        const len = ctrl + 1;
        if (this.produced + (op - this.emitFrom) + len > this.outLen) {
          throw new LzfError('literal run overflows the declared size', this.consumed + ip);
        }
        win.set(src.subarray(ip + 1, ip + 1 + len), op);
        op += len;
      } else {
        let len = ctrl >> 5;
        let p = ip + 1;
        if (len === 7) len += src[p++]!;
        const back = ((ctrl & 0x1f) << 8) + src[p]! + 1;
        len += 2;
        const ref = op - back;
        const total = this.produced + (op - this.emitFrom);
        if (back > total || ref < 0) {
          throw new LzfError('back-reference before the start of the output', this.consumed + ip);
        }
        if (total + len > this.outLen) {
          throw new LzfError('back-reference overflows the declared size', this.consumed + ip);
        }
        for (let k = 0; k < len; k++) win[op++] = win[ref + k]!;
      }
      this.op = op;
      ip += need;
    }
    this.consumed += ip;
    if (ip < end) this.carry = Buffer.from(src.subarray(ip, end));
    if (this.op > this.emitFrom) {
      out.push(Buffer.from(win.subarray(this.emitFrom, this.op)));
      this.produced += this.op - this.emitFrom;
      this.emitFrom = this.op;
    }
    return out;
  }

  /** Call after the last input byte: checks the stream ended cleanly at the declared size. */
  finish(): void {
    if (this.carry.length) throw new LzfError('compressed data ends inside a control sequence', this.consumed);
    if (this.produced !== this.outLen) {
      throw new LzfError(`decompressed to ${this.produced} bytes, declared ${this.outLen}`, this.consumed);
    }
  }

  /** Emit pending output and slide the window so that the last 8 KiB stay addressable. */
  private flush(out: Buffer[]): void {
    if (this.op > this.emitFrom) {
      out.push(Buffer.from(this.win.subarray(this.emitFrom, this.op)));
      this.produced += this.op - this.emitFrom;
    }
    const keep = Math.min(this.op, LZF_MAX_BACK);
    this.win.copyWithin(0, this.op - keep, this.op);
    this.op = keep;
    this.emitFrom = keep;
  }
}
