/**
 * What every value decoder shares: the key being read, the parser services it calls, and the
 * resumable reads it is built from.
 *
 * A decoder (one per RDB value type, listed in `../type-table.ts`) reads "units" (an element, a
 * pair, a blob header, ...) synchronously from the parser's Reader. When a unit is not fully
 * buffered the read throws NEED_MORE; the decoder rewinds to the unit's start and `yield`s, and
 * the parser resumes it once more bytes arrived. So no key is ever re-parsed from its start, and
 * the hot path (everything buffered) runs without any waiting. Decoded items go to a Sink; the
 * parser decides, from the bytes consumed, whether the key is small (one event with raw bytes)
 * or big (bounded batches).
 */
import { RdbError } from '../errors';
import type { BufferSink, Sink } from '../elements';
import { LzfError, lzfDecompress } from '../lzf';
import { NEED_MORE, Reader } from '../reader';
import type { ModuleValue, RdbMagic, RdbTypeName, StreamMeta } from '../types';

export type Machine = Generator<void, void, void>;

/** Decodes one key's value (sets k.value / k.sink / k.stream / k.module). */
export type ValueDecoder = (p: Core, k: KeyState) => Machine;

export const EMPTY = Buffer.alloc(0);

/** Everything the parser tracks about the key being read. */
export class KeyState {
  key: Buffer = EMPTY;
  /** Absolute offset where the value starts (after the key); -1 while the key is read. */
  valueStart = -1;
  /** Still a candidate for a single `key` event (value bytes so far within the threshold). */
  small = true;
  /** Raw value bytes already consumed and dropped from the reader (small keys, modules). */
  rawPieces: Buffer[] = [];
  rawFrom = 0;
  sink: Sink<any> | null = null;
  /** Items delivered in batches so far. */
  count = 0;
  /** The decoded value (string/module/stream), for small keys. */
  value: unknown = undefined;
  stream: StreamMeta | undefined = undefined;
  module: ModuleValue | undefined = undefined;

  constructor(
    readonly offset: number,
    readonly db: number,
    readonly typeId: number,
    readonly typeName: RdbTypeName,
    readonly encoding: string,
    readonly expireAt: number | undefined,
    readonly idle: number | undefined,
    readonly freq: number | undefined,
  ) {}
}

/** The parser services a decoder uses. */
export interface Core {
  readonly r: Reader;
  readonly magic: RdbMagic;
  readonly threshold: number;
  readonly batchMaxBytes: number;
  /** Before waiting: if the pending read would take the key past the threshold, make it big. */
  beforeWait(k: KeyState): void;
  /** After a unit: switch to big past the threshold, or emit a batch when the sink is full. */
  afterElement(k: KeyState): void;
  /** Switch the key to big mode (emits key-start and flushes what was decoded so far). */
  goBig(k: KeyState): void;
  /** Emit one batch of items (big keys). */
  emitBatch(k: KeyState, items: unknown[]): void;
}

// ---------------------------------------------------------------------------------------------
// Unit readers: return a sentinel (null / -1 / false) instead of throwing NEED_MORE.

export function tryString(r: Reader): Buffer | null {
  const save = r.pos;
  try {
    return r.readString();
  } catch (e) {
    if (e === NEED_MORE) {
      r.pos = save;
      return null;
    }
    throw e;
  }
}

export function tryLen(r: Reader): number {
  const save = r.pos;
  try {
    return r.readLen();
  } catch (e) {
    if (e === NEED_MORE) {
      r.pos = save;
      return -1;
    }
    throw e;
  }
}

export function tryHeader(r: Reader): boolean {
  const save = r.pos;
  try {
    r.readStringHeader();
    return true;
  } catch (e) {
    if (e === NEED_MORE) {
      r.pos = save;
      return false;
    }
    throw e;
  }
}

/** Run `fn(r, s)` atomically: on NEED_MORE rewind and return false. */
export function tryUnit<S>(r: Reader, fn: (r: Reader, s: S) => void, s: S): boolean {
  const save = r.pos;
  try {
    fn(r, s);
    return true;
  } catch (e) {
    if (e === NEED_MORE) {
      r.pos = save;
      return false;
    }
    throw e;
  }
}

/** Record that `n` bytes are needed at the cursor (TRUNCATED if the input is final). */
export function needBytes(r: Reader, n: number): void {
  if (r.final && r.end - r.pos < n) r.short(n);
  r.needPos = r.base + r.pos + n;
}

export function decompress(r: Reader, clen: number, ulen: number, what: string, at: number): Buffer {
  const p = r.pos;
  r.pos = p + clen;
  try {
    return lzfDecompress(r.buf, p, p + clen, ulen);
  } catch (e) {
    if (e instanceof LzfError) throw new RdbError('CORRUPT', `invalid LZF-compressed ${what}: ${e.message}`, at);
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// Scratch objects for multi-read units.

export interface Scratch {
  a: Buffer;
  b: Buffer;
  n: number;
  score: number;
}

export function newScratch(): Scratch {
  return { a: EMPTY, b: EMPTY, n: 0, score: 0 };
}

export function unitU64(r: Reader, s: Scratch): void {
  s.n = r.i64le();
}

/** LIST / SET as a plain collection: len n, n strings. */
export function* stringElements(p: Core, k: KeyState, sink: BufferSink): Machine {
  const r = p.r;
  let n: number;
  while ((n = tryLen(r)) < 0) {
    p.beforeWait(k);
    yield;
  }
  for (let i = 0; i < n; i++) {
    let el: Buffer | null;
    while ((el = tryString(r)) === null) {
      p.beforeWait(k);
      yield;
    }
    sink.push(el);
    p.afterElement(k);
  }
}

/**
 * The shape of the dict-encoded collections: a length, then that many units
 * (`unit` reads one into the scratch; `add` takes it), waiting for bytes between units.
 */
export function* countedUnits(p: Core, k: KeyState, s: Scratch, unit: (r: Reader, s: Scratch) => void, add: (s: Scratch) => void): Machine {
  const r = p.r;
  let n: number;
  while ((n = tryLen(r)) < 0) {
    p.beforeWait(k);
    yield;
  }
  for (let i = 0; i < n; i++) {
    while (!tryUnit(r, unit, s)) {
      p.beforeWait(k);
      yield;
    }
    add(s);
    p.afterElement(k);
  }
}
