/**
 * RESP replies kept as their bytes (PipelinedConnection.callRaw): where one reply ends, and the
 * elements of an array of bulk strings as offsets into those bytes — no Buffer or string per
 * element. The scan reader reads SCAN and MGET replies so: a million keys and values would
 * otherwise be two million Buffers the engine only copies into RDB records.
 */
import { RespError, RespErrorReply } from './values';

function protocolError(message: string): RespError {
  return new RespError('RESP_PROTOCOL', `RESP protocol error: ${message}`,
    'the peer sent bytes that are not valid RESP; the connection must be re-established');
}

/** Set by rawValueEnd when it returns -1: the value needs at least this many bytes from its start. */
export let rawNeed = 0;

/** A decimal length after a type byte at `pos` (-1 allowed: a null); [value, position after CRLF] or undefined (incomplete). */
function lengthAt(buf: Buffer, pos: number): [number, number] | undefined {
  let i = pos + 1;
  const len = buf.length;
  let neg = false;
  if (i < len && buf[i] === 0x2d) {
    neg = true;
    i++;
  }
  let n = 0;
  const first = i;
  while (i < len) {
    const c = buf[i]!;
    if (c >= 0x30 && c <= 0x39) {
      n = n * 10 + (c - 0x30);
      if (i - first > 12) throw protocolError('length with too many digits');
      i++;
      continue;
    }
    if (c !== 13 || i === first) throw protocolError('malformed length');
    if (i + 1 >= len) return undefined;
    if (buf[i + 1] !== 10) throw protocolError('length line terminated by CR without LF');
    return [neg ? -n : n, i + 2];
  }
  return undefined;
}

/**
 * How far rawValueEnd got through a value that had not all arrived: it goes on from there when
 * called again with more of the value's bytes (the same first byte at the same `pos`).
 */
export class RawScan {
  /** Bytes from the value's start read so far (whole elements only). */
  at = 0;
  /** Values still to read at the current depth. */
  open = 1;
  /** The enclosing arrays' values still to read. */
  readonly stack: number[] = [];
}

/**
 * Where the RESP value starting at `pos` ends (the position after it), or -1 when `buf` does not
 * hold all of it yet (then `rawNeed` is a lower bound of the bytes it needs from `pos`, and `scan`
 * remembers how far it got). Knows the RESP2 types (`$ * : + -`) and RESP3's null (`_`): what
 * SCAN, MGET and their errors answer.
 */
export function rawValueEnd(buf: Buffer, pos: number, scan: RawScan = new RawScan()): number {
  let p = pos + scan.at;
  let open = scan.open;
  const stack = scan.stack;
  const len = buf.length;
  const incomplete = (need: number): number => {
    scan.at = p - pos;
    scan.open = open;
    rawNeed = need;
    return -1;
  };
  while (open > 0) {
    if (p >= len) return incomplete(p - pos + 1);
    const t = buf[p]!;
    if (t === 0x24 || t === 0x2a) { // $ or *
      const l = lengthAt(buf, p);
      if (!l) return incomplete(len - pos + 1);
      const [n, after] = l;
      if (t === 0x24) {
        if (n < 0) {
          p = after;
        } else {
          const end = after + n;
          if (end + 2 > len) return incomplete(end + 2 - pos);
          if (buf[end] !== 13 || buf[end + 1] !== 10) throw protocolError('bulk string not followed by CRLF');
          p = end + 2;
        }
      } else {
        p = after;
        if (n > 0) {
          stack.push(open - 1);
          open = n + 1; // decremented below for this array itself
        }
      }
    } else if (t === 0x3a || t === 0x2b || t === 0x2d || t === 0x5f) { // : + - _
      const nl = buf.indexOf(10, p + 1);
      if (nl < 0) return incomplete(len - pos + 1);
      p = nl + 1;
    } else {
      throw protocolError(`unexpected byte 0x${t.toString(16)} where a RESP type was expected (a raw reply)`);
    }
    open--;
    while (open === 0 && stack.length > 0) open = stack.pop()!;
  }
  return p;
}

/** The error a raw reply is, or undefined when it is not one. */
export function rawError(raw: Buffer): RespErrorReply | undefined {
  if (raw[0] !== 0x2d) return undefined;
  const eol = raw.indexOf(13);
  return new RespErrorReply(raw.toString('utf8', 1, eol < 0 ? raw.length : eol));
}

/**
 * The `n` bulk strings (or nulls) from `pos` in `raw` as offsets: for element i, `out[i*3]` where its
 * `$` header starts, `out[i*3+1]` where its bytes start, `out[i*3+2]` their length (-1: a null).
 * Returns the position after the last one; throws where an element is not a bulk string or null.
 */
export function bulkSpans(raw: Buffer, pos: number, n: number, out: Int32Array): number {
  let p = pos;
  for (let i = 0; i < n; i++) {
    if (raw[p] !== 0x24) {
      if (raw[p] === 0x5f) { // RESP3 null
        out[i * 3] = p;
        out[i * 3 + 1] = p;
        out[i * 3 + 2] = -1;
        p += 3;
        continue;
      }
      throw protocolError('an array element is not a bulk string');
    }
    const l = lengthAt(raw, p);
    if (!l) throw protocolError('a raw reply ends inside a value');
    const [m, after] = l;
    out[i * 3] = p;
    out[i * 3 + 1] = after;
    out[i * 3 + 2] = m < 0 ? -1 : m;
    p = m < 0 ? after : after + m + 2;
  }
  return p;
}

/** The element count of the array header at `pos` ([count, position after it]); -1 for a null array. */
export function arrayHeader(raw: Buffer, pos: number): [number, number] {
  if (raw[pos] !== 0x2a) throw protocolError('expected an array');
  const l = lengthAt(raw, pos);
  if (!l) throw protocolError('a raw reply ends inside a value');
  return l;
}
