/**
 * Streaming RESP parser (RESP2, the RESP3 reply types, optional inline commands).
 *
 * Feed it Buffers split at any byte; it calls back once per complete top-level value with the
 * number of raw bytes that value occupied on the wire (the replica link adds these up into
 * replication offsets). It never re-parses: partial state (a header line split across chunks,
 * a bulk body spanning chunks, the stack of open aggregates) is kept between calls.
 *
 * Bulk strings:
 * - a body that lies inside one chunk is returned as a zero-copy `subarray` of that chunk, so
 *   the caller must not modify chunks after handing them over;
 * - a body that spans chunks is copied exactly once into a buffer of its final size. Up to
 *   `preallocateBytes` (1 MB) that buffer is allocated as soon as the header is read; a longer
 *   body is first held as zero-copy views of the arriving chunks and its buffer is allocated
 *   only once `preallocateBytes` of it have really arrived, so a bare `$536870912\r\n` header
 *   costs nothing. Lengths over `maxBulkLength` (512 MB) are rejected with a RespError.
 *
 * A protocol violation throws a RespError and leaves the parser failed (every later call
 * throws the same error) until `reset()`: after garbage the byte stream cannot be trusted.
 */
import { RespError, RespErrorReply, RespMap, RespPush, RespSet, RespVerbatim, type RespValue } from './values';

export const MAX_BULK_LENGTH = 512 * 1024 * 1024;

export interface RespParserOptions {
  /** Longest accepted bulk string; default and maximum 512 MB. */
  maxBulkLength?: number;
  /** Bodies up to this size are preallocated from their header (default 1 MB); see the file comment. */
  preallocateBytes?: number;
  /** Longest simple-string / error / number / inline line (default 1 MB). */
  maxLineLength?: number;
  /** Largest aggregate element count (default 2^32 − 1). Elements are never preallocated. */
  maxElements?: number;
  /** Deepest aggregate nesting (default 128). */
  maxDepth?: number;
  /** Accept inline commands (`SET k v\r\n`), returned as `Buffer[]`. Default false (replies never use them). */
  inline?: boolean;
}

/**
 * Called once per complete top-level value with the raw bytes it occupied. Returning `true`
 * (exactly true) halts the parser right after that value: `execute` returns the bytes it consumed.
 */
export type ValueCallback = (value: RespValue, bytes: number) => unknown;

// Aggregate kinds.
const ARRAY = 0;
const MAP = 1;
const SET = 2;
const PUSH = 3;
const ATTRIBUTE = 4;

// Bulk kinds.
const BULK = 0;
const VERBATIM = 1;
const BLOB_ERROR = 2;

const INCOMPLETE = -2;

interface Frame {
  kind: number;
  remaining: number;
  items: RespValue[];
}

const noop: ValueCallback = () => {};

function describeByte(b: number): string {
  return b >= 0x20 && b < 0x7f ? `'${String.fromCharCode(b)}' (0x${b.toString(16).padStart(2, '0')})` : `0x${b.toString(16).padStart(2, '0')}`;
}

function protocolError(message: string): RespError {
  return new RespError('RESP_PROTOCOL', `RESP protocol error: ${message}`,
    'the peer sent bytes that are not valid RESP; the connection must be re-established');
}

export class RespParser {
  private readonly maxBulk: number;
  private readonly prealloc: number;
  private readonly maxLine: number;
  private readonly maxElements: number;
  private readonly maxDepth: number;
  private readonly inline: boolean;

  private readonly stack: Frame[] = [];
  private cb: ValueCallback = noop;
  /** Bytes of the current top-level value consumed in earlier chunks. */
  private carry = 0;
  /** Where the current top-level value starts in the buffer being parsed. */
  private start = 0;
  /** Position just after the LF of the last header line read. */
  private lineEnd = 0;

  /** A line split across chunks (held as views, joined when its LF arrives). */
  private lineParts: Buffer[] | null = null;
  private lineLen = 0;

  /** A bulk body spanning chunks: -1 when none. */
  private bulkLen = -1;
  private bulkGot = 0;
  private bulkKind = BULK;
  private bulkBuf: Buffer | null = null;
  private bulkPieces: Buffer[] | null = null;
  private crlfLeft = 0;

  private failure: unknown = null;
  /** The callback asked to halt after the value it was just given. */
  private halt = false;

  constructor(opts: RespParserOptions = {}) {
    this.maxBulk = Math.min(opts.maxBulkLength ?? MAX_BULK_LENGTH, MAX_BULK_LENGTH);
    this.prealloc = opts.preallocateBytes ?? 1024 * 1024;
    this.maxLine = opts.maxLineLength ?? 1024 * 1024;
    this.maxElements = opts.maxElements ?? 0xffffffff;
    this.maxDepth = opts.maxDepth ?? 128;
    this.inline = opts.inline ?? false;
  }

  /** True while a value has been started but not completed (bytes are held). */
  get pending(): boolean {
    return this.stack.length > 0 || this.lineParts !== null || this.bulkLen >= 0;
  }

  /** Drops all partial state and any failure. */
  reset(): void {
    this.stack.length = 0;
    this.carry = 0;
    this.start = 0;
    this.lineParts = null;
    this.lineLen = 0;
    this.resetBulk();
    this.failure = null;
  }

  /**
   * Parses `chunk`, calling `onValue` for every top-level value it completes. If `onValue`
   * throws, the error propagates and the parser is unusable until `reset()`. Returns the bytes
   * of `chunk` consumed: all of them, unless `onValue` returned true (halt after that value).
   */
  execute(chunk: Buffer, onValue: ValueCallback): number {
    if (this.failure !== null) throw this.failure;
    this.cb = onValue;
    this.halt = false;
    try {
      return this.run(chunk);
    } catch (err) {
      this.failure = err;
      throw err;
    } finally {
      this.cb = noop;
    }
  }

  private run(chunk: Buffer): number {
    const len = chunk.length;
    let pos = 0;
    this.start = 0;

    if (this.lineParts !== null) {
      const nl = chunk.indexOf(10);
      if (nl < 0) {
        this.addLinePart(chunk, 0);
        this.carry += len;
        return len;
      }
      // Join the line and parse it in its own coordinates: `start` is placed so that a value
      // completing at the line's end counts exactly the nl+1 bytes this chunk contributes.
      const partsLen = this.lineLen;
      this.lineParts.push(chunk.subarray(0, nl + 1));
      const line = Buffer.concat(this.lineParts, partsLen + nl + 1);
      this.lineParts = null;
      this.lineLen = 0;
      this.start = partsLen;
      this.checkLineLength(line.length);
      if (this.parseItem(line, 0) < 0) throw protocolError('line without CRLF terminator');
      this.start -= partsLen;
      pos = nl + 1;
      if (this.halt) return pos;
    }

    while (pos < len) {
      if (this.bulkLen >= 0) {
        pos = this.continueBulk(chunk, pos);
      } else {
        const next = this.parseItem(chunk, pos);
        if (next < 0) {
          this.addLinePart(chunk, pos);
          break;
        }
        pos = next;
      }
      // Halted right after a top-level value: `start` is `pos`, nothing of the rest is counted.
      if (this.halt) return pos;
    }
    this.carry += len - this.start;
    return len;
  }

  private addLinePart(chunk: Buffer, pos: number): void {
    const piece = chunk.subarray(pos);
    this.checkLineLength(this.lineLen + piece.length);
    if (this.lineParts === null) this.lineParts = [];
    this.lineParts.push(piece);
    this.lineLen += piece.length;
  }

  private checkLineLength(n: number): void {
    if (n > this.maxLine + 2) {
      throw new RespError('RESP_LIMIT', `RESP line longer than ${this.maxLine} bytes`,
        'the peer sent an over-long line; the stream is probably not RESP');
    }
  }

  /** Parses the item whose type byte is at `pos`. Returns the position after it, or -1 if its header line is incomplete. */
  private parseItem(buf: Buffer, pos: number): number {
    switch (buf[pos]) {
      case 0x24: // $
        return this.parseBulkHeader(buf, pos, BULK);
      case 0x2a: // *
        return this.parseAggregate(buf, pos, ARRAY);
      case 0x3a: // :
        return this.parseInteger(buf, pos);
      case 0x2b: { // +
        const eol = this.findEol(buf, pos);
        if (eol < 0) return -1;
        return this.complete(buf.toString('utf8', pos + 1, eol), this.lineEnd);
      }
      case 0x2d: { // -
        const eol = this.findEol(buf, pos);
        if (eol < 0) return -1;
        return this.complete(new RespErrorReply(buf.toString('utf8', pos + 1, eol)), this.lineEnd);
      }
      case 0x25: // %
        return this.parseAggregate(buf, pos, MAP);
      case 0x7e: // ~
        return this.parseAggregate(buf, pos, SET);
      case 0x3e: // >
        return this.parseAggregate(buf, pos, PUSH);
      case 0x7c: // |
        return this.parseAggregate(buf, pos, ATTRIBUTE);
      case 0x3d: // =
        return this.parseBulkHeader(buf, pos, VERBATIM);
      case 0x21: // !
        return this.parseBulkHeader(buf, pos, BLOB_ERROR);
      case 0x5f: { // _
        const eol = this.findEol(buf, pos);
        if (eol < 0) return -1;
        if (eol !== pos + 1) throw protocolError('RESP3 null with a payload');
        return this.complete(null, this.lineEnd);
      }
      case 0x2c: { // ,
        const eol = this.findEol(buf, pos);
        if (eol < 0) return -1;
        return this.complete(parseDouble(buf.toString('latin1', pos + 1, eol)), this.lineEnd);
      }
      case 0x23: { // #
        const eol = this.findEol(buf, pos);
        if (eol < 0) return -1;
        const c = buf[pos + 1];
        if (eol !== pos + 2 || (c !== 0x74 && c !== 0x66)) throw protocolError('RESP3 boolean is not #t or #f');
        return this.complete(c === 0x74, this.lineEnd);
      }
      case 0x28: { // (
        const eol = this.findEol(buf, pos);
        if (eol < 0) return -1;
        return this.complete(parseBigNumber(buf.toString('latin1', pos + 1, eol)), this.lineEnd);
      }
      default:
        if (this.inline) return this.parseInline(buf, pos);
        throw protocolError(`unexpected byte ${describeByte(buf[pos]!)} where a RESP type was expected`);
    }
  }

  /** Finds the CRLF ending the line that starts at `pos`; returns the CR's index (sets lineEnd) or -1. */
  private findEol(buf: Buffer, pos: number): number {
    const nl = buf.indexOf(10, pos + 1);
    if (nl < 0) return -1;
    if (buf[nl - 1] !== 13 || nl - 1 < pos + 1) throw protocolError('line terminated by LF without CR');
    this.checkLineLength(nl + 1 - pos);
    this.lineEnd = nl + 1;
    return nl - 1;
  }

  /**
   * Reads the decimal length after a type byte (`pos` is just after it) up to CRLF. Returns the
   * length (-1 for a null), INCOMPLETE when the line has not fully arrived; sets lineEnd.
   */
  private readLength(buf: Buffer, pos: number): number {
    const len = buf.length;
    let i = pos;
    let neg = false;
    if (i < len && buf[i] === 0x2d) {
      neg = true;
      i++;
    }
    let n = 0;
    let digits = 0;
    while (i < len) {
      const c = buf[i]!;
      if (c >= 0x30 && c <= 0x39) {
        n = n * 10 + (c - 0x30);
        if (++digits > 12) throw protocolError('length with too many digits');
        i++;
        continue;
      }
      if (c !== 13) throw protocolError(`unexpected byte ${describeByte(c)} in a length`);
      if (i + 1 >= len) return INCOMPLETE;
      if (buf[i + 1] !== 10) throw protocolError('length line terminated by CR without LF');
      if (digits === 0) throw protocolError('empty length');
      if (neg) {
        if (n !== 1) throw protocolError(`negative length -${n}`);
        n = -1;
      }
      this.lineEnd = i + 2;
      return n;
    }
    return INCOMPLETE;
  }

  private parseBulkHeader(buf: Buffer, pos: number, kind: number): number {
    const n = this.readLength(buf, pos + 1);
    if (n === INCOMPLETE) return -1;
    const p = this.lineEnd;
    if (n === -1) {
      if (kind !== BULK) throw protocolError('null verbatim string or blob error');
      return this.complete(null, p);
    }
    if (n > this.maxBulk) {
      throw new RespError('RESP_LIMIT', `RESP bulk string of ${n} bytes exceeds the limit of ${this.maxBulk} bytes`,
        'Redis never sends a bulk string over 512 MB; the stream is corrupt or not RESP');
    }
    const end = p + n;
    if (end + 2 <= buf.length) {
      if (buf[end] !== 13 || buf[end + 1] !== 10) throw protocolError('bulk string not followed by CRLF');
      return this.complete(bulkValue(kind, buf.subarray(p, end)), end + 2);
    }
    this.bulkLen = n;
    this.bulkKind = kind;
    this.crlfLeft = 2;
    if (end <= buf.length) {
      // The body is here, only its CRLF is not: keep the zero-copy view.
      this.bulkBuf = buf.subarray(p, end);
      this.bulkGot = n;
      return this.continueBulk(buf, end);
    }
    this.bulkGot = 0;
    if (n <= this.prealloc) this.bulkBuf = Buffer.allocUnsafe(n);
    else this.bulkPieces = [];
    return this.continueBulk(buf, p);
  }

  private continueBulk(buf: Buffer, pos: number): number {
    const len = buf.length;
    if (this.bulkGot < this.bulkLen) {
      const n = Math.min(this.bulkLen - this.bulkGot, len - pos);
      if (this.bulkBuf !== null) {
        buf.copy(this.bulkBuf, this.bulkGot, pos, pos + n);
      } else {
        const pieces = this.bulkPieces!;
        pieces.push(buf.subarray(pos, pos + n));
        if (this.bulkGot + n >= this.prealloc) {
          // Enough real bytes arrived: allocate the final buffer once and move the views in.
          const target = Buffer.allocUnsafe(this.bulkLen);
          let o = 0;
          for (const piece of pieces) o += piece.copy(target, o);
          this.bulkBuf = target;
          this.bulkPieces = null;
        }
      }
      this.bulkGot += n;
      pos += n;
      if (this.bulkGot < this.bulkLen) return pos;
    }
    while (this.crlfLeft > 0) {
      if (pos >= len) return pos;
      if (buf[pos] !== (this.crlfLeft === 2 ? 13 : 10)) throw protocolError('bulk string not followed by CRLF');
      pos++;
      this.crlfLeft--;
    }
    const data = this.bulkBuf!;
    const kind = this.bulkKind;
    this.resetBulk();
    return this.complete(bulkValue(kind, data), pos);
  }

  private resetBulk(): void {
    this.bulkLen = -1;
    this.bulkGot = 0;
    this.bulkKind = BULK;
    this.bulkBuf = null;
    this.bulkPieces = null;
    this.crlfLeft = 0;
  }

  private parseAggregate(buf: Buffer, pos: number, kind: number): number {
    const n = this.readLength(buf, pos + 1);
    if (n === INCOMPLETE) return -1;
    const p = this.lineEnd;
    if (n === -1) {
      if (kind !== ARRAY) throw protocolError('null map, set, push or attribute');
      return this.complete(null, p);
    }
    if (n > this.maxElements) {
      throw new RespError('RESP_LIMIT', `RESP aggregate of ${n} elements exceeds the limit of ${this.maxElements}`);
    }
    if (n === 0) {
      if (kind === ATTRIBUTE) return p;
      return this.complete(buildAggregate(kind, []), p);
    }
    if (this.stack.length >= this.maxDepth) {
      throw new RespError('RESP_LIMIT', `RESP aggregates nested deeper than ${this.maxDepth}`);
    }
    if (kind === ARRAY) return this.parseBulkArray(buf, p, n);
    this.stack.push({ kind, remaining: kind === MAP || kind === ATTRIBUTE ? n * 2 : n, items: [] });
    return p;
  }

  /**
   * Fast path for the common case, an array of bulk strings (every command, most replies):
   * reads the elements that lie whole in this buffer directly, without a frame per element.
   * At the first element that is not a plain complete `$<len>` bulk here, it hands over to
   * the general path with the elements read so far.
   */
  private parseBulkArray(buf: Buffer, p: number, n: number): number {
    const len = buf.length;
    const items: RespValue[] = [];
    let k = 0;
    while (k < n) {
      if (p >= len || buf[p] !== 0x24) break;
      let q = p + 1;
      let m = 0;
      let c = 0;
      while (q < len && (c = buf[q]!) >= 0x30 && c <= 0x39) {
        m = m * 10 + (c - 0x30);
        q++;
      }
      if (q === p + 1 || q - p > 11 || q + 1 >= len || c !== 13 || buf[q + 1] !== 10 || m > this.maxBulk) break;
      const s = q + 2;
      const e = s + m;
      if (e + 2 > len) break;
      if (buf[e] !== 13 || buf[e + 1] !== 10) throw protocolError('bulk string not followed by CRLF');
      items.push(buf.subarray(s, e));
      k++;
      p = e + 2;
    }
    if (k === n) return this.complete(items, p);
    this.stack.push({ kind: ARRAY, remaining: n - k, items });
    return p;
  }

  private parseInteger(buf: Buffer, pos: number): number {
    const eol = this.findEol(buf, pos);
    if (eol < 0) return -1;
    let i = pos + 1;
    let neg = false;
    if (buf[i] === 0x2d) {
      neg = true;
      i++;
    } else if (buf[i] === 0x2b) {
      i++;
    }
    if (i === eol) throw protocolError('empty integer');
    let value: number | bigint;
    if (eol - i <= 15) {
      let n = 0;
      for (; i < eol; i++) {
        const c = buf[i]!;
        if (c < 0x30 || c > 0x39) throw protocolError(`unexpected byte ${describeByte(c)} in an integer`);
        n = n * 10 + (c - 0x30);
      }
      value = neg && n !== 0 ? -n : n;
    } else {
      for (let j = i; j < eol; j++) {
        const c = buf[j]!;
        if (c < 0x30 || c > 0x39) throw protocolError(`unexpected byte ${describeByte(c)} in an integer`);
      }
      const big = BigInt(buf.toString('latin1', pos + 1, eol));
      value = big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
    }
    return this.complete(value, this.lineEnd);
  }

  private parseInline(buf: Buffer, pos: number): number {
    const nl = buf.indexOf(10, pos);
    if (nl < 0) return -1;
    this.checkLineLength(nl + 1 - pos);
    const end = nl > pos && buf[nl - 1] === 13 ? nl - 1 : nl;
    const args = splitInlineArgs(buf, pos, end);
    // An empty line is skipped, as Redis does; its bytes count towards the next value.
    if (args.length === 0) return nl + 1;
    return this.complete(args, nl + 1);
  }

  /** Hands a finished value to its parent aggregate, or to the callback at top level. Returns `end`. */
  private complete(value: RespValue, end: number): number {
    const stack = this.stack;
    let v = value;
    for (;;) {
      if (stack.length === 0) {
        const bytes = this.carry + end - this.start;
        this.carry = 0;
        this.start = end;
        if (this.cb(v, bytes) === true) this.halt = true;
        return end;
      }
      const top = stack[stack.length - 1]!;
      top.items.push(v);
      if (--top.remaining > 0) return end;
      stack.pop();
      // A finished attribute annotates the value that follows; it is dropped.
      if (top.kind === ATTRIBUTE) return end;
      v = buildAggregate(top.kind, top.items);
    }
  }
}

function bulkValue(kind: number, data: Buffer): RespValue {
  if (kind === BULK) return data;
  if (kind === BLOB_ERROR) return new RespErrorReply(data.toString('utf8'));
  if (data.length < 4 || data[3] !== 0x3a) throw protocolError('verbatim string without a "fmt:" prefix');
  return new RespVerbatim(data.toString('latin1', 0, 3), data.subarray(4));
}

function buildAggregate(kind: number, items: RespValue[]): RespValue {
  switch (kind) {
    case ARRAY:
      return items;
    case SET:
      return new RespSet(items);
    case PUSH:
      return new RespPush(items);
    default: {
      const entries: Array<[RespValue, RespValue]> = [];
      for (let i = 0; i < items.length; i += 2) entries.push([items[i]!, items[i + 1]!]);
      return new RespMap(entries);
    }
  }
}

function parseDouble(s: string): number {
  switch (s.toLowerCase()) {
    case 'inf':
    case '+inf':
      return Infinity;
    case '-inf':
      return -Infinity;
    case 'nan':
    case '-nan':
      return NaN;
  }
  const n = s.length === 0 || s.trim() !== s ? NaN : Number(s);
  if (Number.isNaN(n)) throw protocolError(`invalid RESP3 double "${s.slice(0, 40)}"`);
  return n;
}

function parseBigNumber(s: string): bigint {
  let i = s[0] === '-' || s[0] === '+' ? 1 : 0;
  if (i === s.length) throw protocolError('empty RESP3 big number');
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) throw protocolError(`invalid RESP3 big number "${s.slice(0, 40)}"`);
  }
  return BigInt(s);
}

function isSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

/** Splits an inline command line like Redis's `sdssplitargs` (double quotes with escapes, single quotes). */
export function splitInlineArgs(buf: Buffer, start: number, end: number): Buffer[] {
  const args: Buffer[] = [];
  let i = start;
  for (;;) {
    while (i < end && isSpace(buf[i]!)) i++;
    if (i >= end) return args;
    const c = buf[i]!;
    if (c !== 0x22 && c !== 0x27) {
      const s = i;
      while (i < end && !isSpace(buf[i]!)) i++;
      args.push(buf.subarray(s, i));
      continue;
    }
    const out: number[] = [];
    i++;
    let closed = false;
    while (i < end) {
      const b = buf[i]!;
      if (c === 0x22 && b === 0x5c && i + 1 < end) {
        const e = buf[i + 1]!;
        if (e === 0x78 && i + 3 < end && hexValue(buf[i + 2]!) >= 0 && hexValue(buf[i + 3]!) >= 0) {
          out.push(hexValue(buf[i + 2]!) * 16 + hexValue(buf[i + 3]!));
          i += 4;
          continue;
        }
        const map: Record<number, number> = { 0x6e: 10, 0x72: 13, 0x74: 9, 0x62: 8, 0x61: 7 };
        out.push(map[e] ?? e);
        i += 2;
        continue;
      }
      if (c === 0x27 && b === 0x5c && i + 1 < end && buf[i + 1] === 0x27) {
        out.push(0x27);
        i += 2;
        continue;
      }
      if (b === c) {
        closed = true;
        i++;
        break;
      }
      out.push(b);
      i++;
    }
    if (!closed || (i < end && !isSpace(buf[i]!))) throw protocolError('unbalanced quotes in an inline command');
    args.push(Buffer.from(out));
  }
}

/** Parses a complete buffer into its values (throws if it ends inside a value). For tests and small replies. */
export function parseAll(buf: Buffer, opts?: RespParserOptions): RespValue[] {
  const parser = new RespParser(opts);
  const out: RespValue[] = [];
  parser.execute(buf, (v) => out.push(v));
  if (parser.pending) throw protocolError('input ends inside a value');
  return out;
}
