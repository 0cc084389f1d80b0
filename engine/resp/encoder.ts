/**
 * RESP command encoder: commands as arrays of bulk strings, written straight into one Buffer of
 * the exact size (measure, allocate once, write), with no intermediate Buffers or concatenation.
 *
 * Arguments: Buffers are copied as they are, strings are written as UTF-8, numbers and bigints
 * as their decimal text (`String(n)`; non-finite numbers are refused).
 */
export type RespArg = Buffer | string | number | bigint;

const CRLF_CR = 13;
const CRLF_LF = 10;

/** Byte lengths measured in the first pass, reused by the second (encoding is synchronous). */
let scratch = new Int32Array(256);

function ensureScratch(n: number): Int32Array {
  if (scratch.length < n) scratch = new Int32Array(Math.max(n, scratch.length * 2));
  return scratch;
}

function decimalLength(n: number): number {
  let len = 1;
  while (n >= 10) {
    n = Math.floor(n / 10);
    len++;
  }
  return len;
}

function writeDecimal(buf: Buffer, pos: number, n: number): number {
  const end = pos + decimalLength(n);
  let p = end;
  do {
    buf[--p] = 0x30 + (n % 10);
    n = Math.floor(n / 10);
  } while (n > 0);
  return end;
}

function numberText(a: number | bigint): string {
  if (typeof a === 'number' && !Number.isFinite(a)) throw new TypeError(`cannot encode ${a} as a RESP argument`);
  return String(a);
}

/** Content length of one argument. */
function argLength(a: RespArg): number {
  if (typeof a === 'string') return a.length < 64 && isAscii(a) ? a.length : Buffer.byteLength(a, 'utf8');
  if (Buffer.isBuffer(a)) return a.length;
  if (typeof a === 'number' || typeof a === 'bigint') return numberText(a).length;
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
    a.copy(buf, pos);
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

/** Encoded size of one command. */
export function commandByteLength(argv: readonly RespArg[]): number {
  let total = 1 + decimalLength(argv.length) + 2;
  for (const a of argv) total += bulkSize(argLength(a));
  return total;
}

/**
 * Writes one command into `target` at `offset` and returns the offset after it. `target` must
 * have `commandByteLength(argv)` bytes free there (a RangeError is thrown otherwise).
 */
export function encodeCommandInto(target: Buffer, offset: number, argv: readonly RespArg[]): number {
  const need = commandByteLength(argv);
  if (offset + need > target.length) throw new RangeError(`encodeCommandInto: ${need} bytes do not fit at offset ${offset}`);
  let pos = writeHeader(target, offset, argv.length);
  for (const a of argv) pos = writeArg(target, pos, a, argLength(a));
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
  const lens = ensureScratch(argCount);
  let total = 0;
  let k = 0;
  for (const argv of commands) {
    if (argv.length === 0) throw new TypeError('cannot encode an empty command');
    total += 1 + decimalLength(argv.length) + 2;
    for (const a of argv) {
      const len = argLength(a);
      lens[k++] = len;
      total += bulkSize(len);
    }
  }
  const buf = Buffer.allocUnsafe(total);
  let pos = 0;
  k = 0;
  for (const argv of commands) {
    pos = writeHeader(buf, pos, argv.length);
    for (const a of argv) pos = writeArg(buf, pos, a, lens[k++]!);
  }
  return buf;
}
