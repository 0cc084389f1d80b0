/**
 * RESP command encoder: commands as arrays of bulk strings, written straight into one Buffer of
 * the exact size (measure, allocate once, write), with no intermediate Buffers or concatenation.
 *
 * Arguments: Buffers are copied as they are, strings are written as UTF-8, numbers and bigints
 * as their decimal text (`String(n)`; non-finite numbers are refused), and `EncodedArgs` (bulk
 * strings encoded earlier) as their bytes.
 */

const CRLF_CR = 13;
const CRLF_LF = 10;

/**
 * Several arguments already encoded as consecutive bulk strings (`$<len>\r\n<data>\r\n` each),
 * so a hot path can build them straight from its input without a Buffer per argument.
 */
export class EncodedArgs {
  constructor(
    readonly bytes: Buffer,
    /** How many bulk strings `bytes` holds. */
    readonly count: number,
  ) {}

  /** The arguments as Buffers again (for messages about a failed command: not a hot path). */
  decode(): Buffer[] {
    const out: Buffer[] = [];
    let pos = 0;
    while (pos < this.bytes.length) {
      const eol = this.bytes.indexOf(CRLF_CR, pos);
      const len = Number(this.bytes.toString('latin1', pos + 1, eol));
      out.push(this.bytes.subarray(eol + 2, eol + 2 + len));
      pos = eol + 2 + len + 2;
    }
    return out;
  }
}

export type RespArg = Buffer | string | number | bigint | EncodedArgs;

/** The command's arguments as Buffers (EncodedArgs expanded), for inspecting a command outside the hot path. */
export function argvBuffers(argv: readonly RespArg[]): Buffer[] {
  const out: Buffer[] = [];
  for (const a of argv) {
    if (Buffer.isBuffer(a)) out.push(a);
    else if (a instanceof EncodedArgs) out.push(...a.decode());
    else out.push(Buffer.from(String(a)));
  }
  return out;
}

/** Byte lengths measured in the first pass, reused by the second (encoding is synchronous). */
let lensScratch: Int32Array = new Int32Array(256);
/** Each command's header count, likewise. */
let headsScratch: Int32Array = new Int32Array(64);

function grown(a: Int32Array, n: number): Int32Array {
  return a.length >= n ? a : new Int32Array(Math.max(n, a.length * 2));
}

function decimalLength(n: number): number {
  if (n < 10) return 1;
  if (n < 100) return 2;
  if (n < 1000) return 3;
  if (n < 10000) return 4;
  if (n < 100000) return 5;
  let len = 6;
  for (let m = Math.floor(n / 1000000); m > 0; m = Math.floor(m / 10)) len++;
  return len;
}

/** Writes a non-negative integer's digits at `pos`; returns the position after them. */
export function writeDecimal(buf: Buffer, pos: number, n: number): number {
  const end = pos + decimalLength(n);
  let p = end;
  do {
    buf[--p] = 0x30 + (n % 10);
    n = Math.floor(n / 10);
  } while (n > 0);
  return end;
}

/** Non-negative integers are written digit by digit; other numbers go through their text. */
function isCount(a: number): boolean {
  return a >= 0 && Number.isSafeInteger(a);
}

function numberText(a: number | bigint): string {
  if (typeof a === 'number' && !Number.isFinite(a)) throw new TypeError(`cannot encode ${a} as a RESP argument`);
  return String(a);
}

/** Content length of one argument (for EncodedArgs: all of its bytes). */
function argLength(a: RespArg): number {
  if (typeof a === 'string') return a.length < 64 && isAscii(a) ? a.length : Buffer.byteLength(a, 'utf8');
  if (Buffer.isBuffer(a)) return a.length;
  if (typeof a === 'number') return isCount(a) ? decimalLength(a) : numberText(a).length;
  if (typeof a === 'bigint') return numberText(a).length;
  if (a instanceof EncodedArgs) return a.bytes.length;
  throw new TypeError(`cannot encode a ${typeof a} as a RESP argument`);
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** Bytes of `$<len>\r\n<data>\r\n` for a content length. */
function bulkSize(len: number): number {
  return 1 + decimalLength(len) + 2 + len + 2;
}

function writeArg(buf: Buffer, pos: number, a: RespArg, len: number): number {
  if (a instanceof EncodedArgs) {
    a.bytes.copy(buf, pos);
    return pos + len;
  }
  buf[pos++] = 0x24; // $
  pos = writeDecimal(buf, pos, len);
  buf[pos++] = CRLF_CR;
  buf[pos++] = CRLF_LF;
  if (typeof a === 'string') {
    if (len === a.length && len < 64) {
      // Short ASCII: a JS loop beats the native call overhead.
      for (let i = 0; i < len; i++) buf[pos + i] = a.charCodeAt(i);
    } else {
      buf.write(a, pos, len, 'utf8');
    }
  } else if (Buffer.isBuffer(a)) {
    // Short Buffers (names, keys, small values): a JS loop beats the native call overhead.
    if (len <= 48) for (let i = 0; i < len; i++) buf[pos + i] = a[i]!;
    else a.copy(buf, pos);
  } else if (typeof a === 'number' && isCount(a)) {
    writeDecimal(buf, pos, a);
  } else {
    buf.write(numberText(a), pos, len, 'latin1');
  }
  pos += len;
  buf[pos++] = CRLF_CR;
  buf[pos++] = CRLF_LF;
  return pos;
}

function writeHeader(buf: Buffer, pos: number, count: number): number {
  buf[pos++] = 0x2a; // *
  pos = writeDecimal(buf, pos, count);
  buf[pos++] = CRLF_CR;
  buf[pos++] = CRLF_LF;
  return pos;
}

/**
 * Measures one command's arguments into `lens` from index `k`; returns the size of its
 * arguments and leaves its header count in `measured.count`.
 */
const measured = { count: 0 };
function measure(argv: readonly RespArg[], lens: Int32Array, k: number): number {
  let count = argv.length;
  let size = 0;
  for (const a of argv) {
    const len = argLength(a);
    lens[k++] = len;
    if (typeof a === 'object' && a instanceof EncodedArgs) {
      size += len;
      count += a.count - 1;
    } else {
      size += bulkSize(len);
    }
  }
  measured.count = count;
  return size;
}

/** Encoded size of one command. */
export function commandByteLength(argv: readonly RespArg[]): number {
  lensScratch = grown(lensScratch, argv.length);
  const size = measure(argv, lensScratch, 0);
  return 1 + decimalLength(measured.count) + 2 + size;
}

/**
 * Writes one command into `target` at `offset` and returns the offset after it. `target` must
 * have `commandByteLength(argv)` bytes free there (a RangeError is thrown otherwise).
 */
export function encodeCommandInto(target: Buffer, offset: number, argv: readonly RespArg[]): number {
  const need = commandByteLength(argv);
  if (offset + need > target.length) throw new RangeError(`encodeCommandInto: ${need} bytes do not fit at offset ${offset}`);
  let pos = writeHeader(target, offset, measured.count);
  for (let k = 0; k < argv.length; k++) pos = writeArg(target, pos, argv[k]!, lensScratch[k]!);
  return pos;
}

/** One command as a multibulk (`*N` of `$len` bulk strings), in a Buffer of exactly its size. */
export function encodeCommand(argv: readonly RespArg[]): Buffer {
  return encodeCommands([argv]);
}

/**
 * Many commands in one Buffer for a pipelined write: every argument is measured once, one
 * Buffer of the exact total is allocated, then each command is written in place.
 */
export function encodeCommands(commands: readonly (readonly RespArg[])[]): Buffer {
  let argCount = 0;
  for (const argv of commands) argCount += argv.length;
  const lens = (lensScratch = grown(lensScratch, argCount));
  const heads = (headsScratch = grown(headsScratch, commands.length));
  let total = 0;
  let k = 0;
  for (let c = 0; c < commands.length; c++) {
    const argv = commands[c]!;
    if (argv.length === 0) throw new TypeError('cannot encode an empty command');
    total += measure(argv, lens, k);
    k += argv.length;
    heads[c] = measured.count;
    total += 1 + decimalLength(measured.count) + 2;
  }
  const buf = Buffer.allocUnsafe(total);
  let pos = 0;
  k = 0;
  for (let c = 0; c < commands.length; c++) {
    const argv = commands[c]!;
    pos = writeHeader(buf, pos, heads[c]!);
    for (const a of argv) pos = writeArg(buf, pos, a, lens[k++]!);
  }
  return buf;
}
