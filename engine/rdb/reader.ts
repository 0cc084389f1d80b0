/**
 * A synchronous cursor over buffered bytes, shared by the RDB record parser and the blob
 * decoders (ziplist, listpack, intset, zipmap).
 *
 * When a read needs bytes beyond `end` and more input may still come (`final` is false), the
 * reader records the absolute position it needs in `needPos` and throws the `NEED_MORE`
 * sentinel; the caller rewinds `pos` to its last complete unit and retries once more bytes are
 * buffered. When the input is final, running out is an RdbError: TRUNCATED for the RDB stream
 * itself, CORRUPT inside a blob (an element that runs past the end of its container).
 */
import { RdbError, type RdbErrorCode } from './errors';
import { LzfError, LZF_MAX_RATIO, lzfDecompress } from './lzf';

/** Thrown (by identity) when a read needs more input than is buffered. Never escapes the parser. */
export const NEED_MORE: { readonly needMore: true } = Object.freeze({ needMore: true as const });

/** A Buffer view of buf[start, end) sharing its memory (the parser's zero-copy slices). */
export function view(buf: Buffer, start: number, end: number): Buffer {
  return buf.subarray(start, end);
}

/** 2^32 */
export const TWO32 = 4294967296;

/** String header kinds returned by `readStringHeader`. */
export const STR_PLAIN = 0;
export const STR_LZF = 1;
export const STR_INT = 2;

export class Reader {
  /** Absolute position (base + pos) the last failed read needed buffered; see NEED_MORE. */
  needPos = 0;

  constructor(
    public buf: Buffer,
    public pos: number,
    public end: number,
    /** No more bytes will arrive beyond `end`. */
    public final: boolean,
    /** Offset of buf[0] within this reader's stream (the RDB, or the blob for blob readers). */
    public base: number,
    /** Largest string length accepted by readString (a sane limit against hostile input). */
    public maxString: number,
    /** For blob readers: what the blob is (for messages), and the blob's offset in the RDB. */
    readonly blobName: string | null = null,
    readonly blobFileOffset = -1,
  ) {}

  /** Absolute offset of the cursor within this reader's stream. */
  get offset(): number {
    return this.base + this.pos;
  }

  /** Offset to report in errors: for the RDB its own offset, for a blob the blob's start in the RDB. */
  fileOffset(at = this.pos): number {
    return this.blobName === null ? this.base + at : this.blobFileOffset;
  }

  /** Throw an RdbError (default CORRUPT) located at `at`. */
  fail(detail: string, code: RdbErrorCode = 'CORRUPT', at = this.pos): never {
    if (this.blobName !== null) {
      throw new RdbError(code, `${detail} (byte ${this.base + at} of the ${this.blobName})`, this.blobFileOffset);
    }
    throw new RdbError(code, detail, this.base + at);
  }

  /** Called when fewer than n bytes are buffered at pos. */
  short(n: number): never {
    if (!this.final) {
      this.needPos = this.base + this.pos + n;
      throw NEED_MORE;
    }
    if (this.blobName !== null) {
      this.fail(`an element runs past the end of the ${this.blobName}`);
    }
    this.fail(`the input ended in the middle of the RDB (needed ${this.pos + n - this.end} more bytes)`, 'TRUNCATED');
  }

  get available(): number {
    return this.end - this.pos;
  }

  ensure(n: number): void {
    if (this.pos + n > this.end) this.short(n);
  }

  u8(): number {
    if (this.pos >= this.end) this.short(1);
    return this.buf[this.pos++]!;
  }

  u16le(): number {
    if (this.pos + 2 > this.end) this.short(2);
    const b = this.buf;
    const p = this.pos;
    this.pos = p + 2;
    return b[p]! | (b[p + 1]! << 8);
  }

  u32le(): number {
    if (this.pos + 4 > this.end) this.short(4);
    const b = this.buf;
    const p = this.pos;
    this.pos = p + 4;
    return (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
  }

  i32le(): number {
    if (this.pos + 4 > this.end) this.short(4);
    const b = this.buf;
    const p = this.pos;
    this.pos = p + 4;
    return b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24);
  }

  u32be(): number {
    if (this.pos + 4 > this.end) this.short(4);
    const b = this.buf;
    const p = this.pos;
    this.pos = p + 4;
    return ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
  }

  /** int64 little-endian as a number (exact up to 2^53, which covers Unix-ms times). */
  i64le(): number {
    const lo = this.u32le();
    const hi = this.i32le();
    return hi * TWO32 + lo;
  }

  /** int64 little-endian as number when exactly representable, else bigint. */
  i64leExact(): number | bigint {
    const lo = this.u32le();
    const hi = this.i32le();
    if (hi >= -0x200000 && hi < 0x200000) return hi * TWO32 + lo;
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  /** uint64 little-endian as bigint. */
  u64leBig(): bigint {
    const lo = this.u32le();
    const hi = this.u32le();
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  /** uint64 big-endian as bigint. */
  u64beBig(): bigint {
    const hi = this.u32be();
    const lo = this.u32be();
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  f64le(): number {
    if (this.pos + 8 > this.end) this.short(8);
    const v = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return v;
  }

  /** A view of the next n bytes. */
  bytes(n: number): Buffer {
    if (this.pos + n > this.end) this.short(n);
    const p = this.pos;
    this.pos = p + n;
    return view(this.buf, p, p + n);
  }

  skip(n: number): void {
    if (this.pos + n > this.end) this.short(n);
    this.pos += n;
  }

  /** RDB length (6/14/32/64-bit forms). 64-bit values above 2^53 are CORRUPT here. */
  readLen(): number {
    const b = this.u8();
    const t = b >> 6;
    if (t === 0) return b & 0x3f;
    if (t === 1) return ((b & 0x3f) << 8) | this.u8();
    return this.lenSlow(b);
  }

  private lenSlow(b: number): number {
    if (b === 0x80) return this.u32be();
    if (b === 0x81) {
      const hi = this.u32be();
      const lo = this.u32be();
      if (hi >= 0x200000) this.fail(`a 64-bit length (${(BigInt(hi) << 32n) | BigInt(lo)}) is too large to be real`, 'CORRUPT', this.pos - 9);
      return hi * TWO32 + lo;
    }
    if (b >> 6 === 3) this.fail(`found a special string encoding (0x${b.toString(16)}) where a length was expected`, 'CORRUPT', this.pos - 1);
    return this.fail(`unknown length encoding 0x${b.toString(16)}`, 'CORRUPT', this.pos - 1);
  }

  /** RDB length as an unsigned bigint (for 64-bit IDs and counters). */
  readLenBig(): bigint {
    const b = this.u8();
    if (b === 0x81) return this.u64beBig();
    this.pos--;
    return BigInt(this.readLen());
  }

  /**
   * An RDB string: plain, integer-encoded (returned as its decimal text) or LZF-compressed
   * (decompressed into a new Buffer). Plain strings are views into the input.
   */
  readString(): Buffer {
    const b = this.u8();
    const t = b >> 6;
    let len: number;
    if (t === 0) len = b & 0x3f;
    else if (t === 1) len = ((b & 0x3f) << 8) | this.u8();
    else if (t === 2) len = this.lenSlow(b);
    else return this.readEncodedString(b & 0x3f);
    if (len > this.maxString) this.tooLong(len);
    if (this.pos + len > this.end) this.short(len);
    const p = this.pos;
    this.pos = p + len;
    return view(this.buf, p, p + len);
  }

  private tooLong(len: number): never {
    this.fail(`a string of ${len} bytes exceeds the limit of ${this.maxString} bytes (maxElementSize)`);
  }

  private readEncodedString(enc: number): Buffer {
    switch (enc) {
      case 0: {
        const v = this.u8();
        return Buffer.from(String((v << 24) >> 24), 'latin1');
      }
      case 1: {
        const v = this.u16le();
        return Buffer.from(String((v << 16) >> 16), 'latin1');
      }
      case 2:
        return Buffer.from(String(this.i32le()), 'latin1');
      case 3: {
        const at = this.pos - 1;
        const clen = this.readLen();
        const ulen = this.readLen();
        this.checkLzfLengths(clen, ulen, at);
        if (this.pos + clen > this.end) this.short(clen);
        const p = this.pos;
        this.pos = p + clen;
        try {
          return lzfDecompress(this.buf, p, p + clen, ulen);
        } catch (e) {
          if (e instanceof LzfError) this.fail(`invalid LZF-compressed string: ${e.message}`, 'CORRUPT', at);
          throw e;
        }
      }
      default:
        return this.fail(`unknown string encoding 0x${(0xc0 | enc).toString(16)}`, 'CORRUPT', this.pos - 1);
    }
  }

  checkLzfLengths(clen: number, ulen: number, at: number): void {
    if (ulen > this.maxString) this.tooLong(ulen);
    if (ulen > clen * LZF_MAX_RATIO) {
      this.fail(`LZF string declares ${ulen} bytes from ${clen} compressed bytes, which is impossible`, 'CORRUPT', at);
    }
    if (clen === 0 && ulen !== 0) this.fail('LZF string with no compressed data', 'CORRUPT', at);
  }

  /**
   * Read only the header of an RDB string, for streaming its body. Sets `hdrKind` (STR_PLAIN with
   * `hdrLen` bytes following, STR_LZF with `hdrLen` compressed bytes following and `hdrULen`
   * decompressed, or STR_INT with the value in `hdrInt`).
   */
  readStringHeader(): void {
    const b = this.u8();
    const t = b >> 6;
    if (t === 0) {
      this.hdrKind = STR_PLAIN;
      this.hdrLen = b & 0x3f;
    } else if (t === 1) {
      this.hdrKind = STR_PLAIN;
      this.hdrLen = ((b & 0x3f) << 8) | this.u8();
    } else if (t === 2) {
      this.hdrKind = STR_PLAIN;
      this.hdrLen = this.lenSlow(b);
    } else if ((b & 0x3f) === 3) {
      const at = this.pos - 1;
      this.hdrKind = STR_LZF;
      this.hdrLen = this.readLen();
      this.hdrULen = this.readLen();
      if (this.hdrULen > this.hdrLen * LZF_MAX_RATIO || (this.hdrLen === 0 && this.hdrULen !== 0)) {
        this.fail(`LZF string declares ${this.hdrULen} bytes from ${this.hdrLen} compressed bytes, which is impossible`, 'CORRUPT', at);
      }
    } else {
      this.hdrKind = STR_INT;
      this.hdrInt = this.readEncodedString(b & 0x3f);
    }
  }
  hdrKind = 0;
  hdrLen = 0;
  hdrULen = 0;
  hdrInt: Buffer = Buffer.alloc(0);

  /** Skip an RDB string without materialising it (LZF data is not decompressed). */
  skipString(): void {
    this.readStringHeader();
    if (this.hdrKind !== STR_INT) this.skip(this.hdrLen);
  }
}

/** A final reader over a whole blob (ziplist, listpack, ...) taken from the RDB at fileOffset. */
export function blobReader(blob: Buffer, name: string, fileOffset: number): Reader {
  return new Reader(blob, 0, blob.length, true, 0, blob.length, name, fileOffset);
}

/** Decimal text of an integer (number or bigint) as a Buffer. */
export function intToBuffer(v: number | bigint): Buffer {
  return Buffer.from(String(v), 'latin1');
}
