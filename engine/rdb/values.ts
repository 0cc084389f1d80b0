/**
 * Value decoders, one resumable generator per RDB value type.
 *
 * Each decoder reads "units" (an element, a pair, a blob header, ...) synchronously from the
 * parser's Reader. When a unit is not fully buffered the read throws NEED_MORE; the decoder
 * rewinds to the unit's start and `yield`s, and the parser resumes it once more bytes arrived.
 * So no key is ever re-parsed from its start, and the hot path (everything buffered) runs
 * without any waiting. Decoded items go to a Sink; the parser decides, from the bytes consumed,
 * whether the key is small (one event with raw bytes) or big (bounded batches).
 */
import { BlobPump, type BlobFeeder } from './blob';
import { RdbError } from './errors';
import { BufferSink, HashSink, HashTripleSink, parseScoreText, ZsetSink, type Sink } from './elements';
import { IntsetFeeder } from './intset';
import { ListpackFeeder } from './listpack';
import { LzfError, LzfStream, lzfDecompress } from './lzf';
import { blobReader, NEED_MORE, Reader, STR_INT, STR_LZF } from './reader';
import { rawStreamId, StreamSink } from './stream';
import type { ModuleValue, RdbMagic, RdbTypeName, StreamGroup, StreamId, StreamMeta } from './types';
import { ZiplistFeeder } from './ziplist';
import { ZipmapFeeder } from './zipmap';

export type Machine = Generator<void, void, void>;

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

const EMPTY = Buffer.alloc(0);
/** Blobs up to this size are read whole in big keys (e.g. quicklist nodes); bigger ones are pumped. */
const BLOB_WHOLE_LIMIT = 1 << 20;

// ---------------------------------------------------------------------------------------------
// Unit readers: return a sentinel (null / -1 / false) instead of throwing NEED_MORE.

function tryString(r: Reader): Buffer | null {
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

function tryLen(r: Reader): number {
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

function tryHeader(r: Reader): boolean {
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
function tryUnit<S>(r: Reader, fn: (r: Reader, s: S) => void, s: S): boolean {
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
function needBytes(r: Reader, n: number): void {
  if (r.final && r.end - r.pos < n) r.short(n);
  r.needPos = r.base + r.pos + n;
}

function decompress(r: Reader, clen: number, ulen: number, what: string, at: number): Buffer {
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

interface Scratch {
  a: Buffer;
  b: Buffer;
  n: number;
  score: number;
}

function newScratch(): Scratch {
  return { a: EMPTY, b: EMPTY, n: 0, score: 0 };
}

function unitPair(r: Reader, s: Scratch): void {
  s.a = r.readString();
  s.b = r.readString();
}

function unitZsetText(r: Reader, s: Scratch): void {
  s.a = r.readString();
  const len = r.u8();
  if (len === 253) s.score = NaN;
  else if (len === 254) s.score = Infinity;
  else if (len === 255) s.score = -Infinity;
  else s.score = parseScoreText(r.bytes(len).toString('latin1'));
}

function unitZsetBinary(r: Reader, s: Scratch): void {
  s.a = r.readString();
  s.score = r.f64le();
}

/** HASH_METADATA(_PRE_GA): len ttl, field, value. */
function unitTtlPair(r: Reader, s: Scratch): void {
  s.n = r.readLen();
  s.a = r.readString();
  s.b = r.readString();
}

/** Valkey HASH_2: field, value, int64 LE absolute ms (-1 = none). */
function unitPairI64(r: Reader, s: Scratch): void {
  s.a = r.readString();
  s.b = r.readString();
  s.n = r.i64le();
}

function unitU64(r: Reader, s: Scratch): void {
  s.n = r.i64le();
}

// ---------------------------------------------------------------------------------------------

/** The decoder for a key's value. Sets k.value / k.sink / k.stream / k.module. */
export function* valueMachine(p: Core, k: KeyState): Machine {
  switch (k.typeId) {
    case 0:
      yield* stringValue(p, k);
      return;
    case 1:
    case 2:
      yield* stringCollection(p, k, (k.sink = new BufferSink()) as BufferSink);
      return;
    case 3:
      yield* zsetPairs(p, k, unitZsetText);
      return;
    case 5:
      yield* zsetPairs(p, k, unitZsetBinary);
      return;
    case 4:
      yield* hashPairs(p, k);
      return;
    case 6:
    case 7:
      yield* moduleValue(p, k);
      return;
    case 9:
      yield* blobValue(p, k, BLOB_ZIPMAP, (k.sink = new HashSink()), 'zipmap');
      return;
    case 10:
      yield* blobValue(p, k, BLOB_ZIPLIST, (k.sink = new BufferSink()), 'ziplist');
      return;
    case 11:
      yield* blobValue(p, k, BLOB_INTSET, (k.sink = new BufferSink()), 'intset');
      return;
    case 12:
      yield* blobValue(p, k, BLOB_ZIPLIST, (k.sink = new ZsetSink()), 'ziplist');
      return;
    case 13:
      yield* blobValue(p, k, BLOB_ZIPLIST, (k.sink = new HashSink()), 'ziplist');
      return;
    case 14:
      yield* quicklist(p, k, false);
      return;
    case 18:
      yield* quicklist(p, k, true);
      return;
    case 16:
      yield* blobValue(p, k, BLOB_LISTPACK, (k.sink = new HashSink()), 'listpack');
      return;
    case 17:
      yield* blobValue(p, k, BLOB_LISTPACK, (k.sink = new ZsetSink()), 'listpack');
      return;
    case 20:
      yield* blobValue(p, k, BLOB_LISTPACK, (k.sink = new BufferSink()), 'listpack');
      return;
    case 15:
    case 19:
    case 21:
      yield* streamValue(p, k);
      return;
    case 22:
      if (p.magic === 'VALKEY') yield* hashTtlPairs(p, k, 'valkey');
      else yield* hashTtlPairs(p, k, 'pre-ga');
      return;
    case 24:
      yield* hashTtlPairs(p, k, 'ga');
      return;
    case 23:
      yield* blobValue(p, k, BLOB_LISTPACK, (k.sink = new HashTripleSink()), 'listpack-ex');
      return;
    case 25: {
      const s = newScratch();
      while (!tryUnit(p.r, unitU64, s)) {
        p.beforeWait(k);
        yield;
      }
      yield* blobValue(p, k, BLOB_LISTPACK, (k.sink = new HashTripleSink()), 'listpack-ex');
      return;
    }
    default:
      throw new RdbError('UNKNOWN_TYPE', `unknown value type ${k.typeId}`, k.offset);
  }
}

/** RDB_TYPE_STRING: read whole when within the threshold, else streamed in pieces. */
function* stringValue(p: Core, k: KeyState): Machine {
  const r = p.r;
  while (!tryHeader(r)) {
    p.beforeWait(k);
    yield;
  }
  if (r.hdrKind === STR_INT) {
    k.value = r.hdrInt;
    return;
  }
  const at = r.base + r.pos;
  const lzf = r.hdrKind === STR_LZF;
  const clen = r.hdrLen;
  const ulen = lzf ? r.hdrULen : clen;
  if (k.small && ulen <= p.threshold && r.base + r.pos + clen - k.valueStart <= p.threshold) {
    while (r.end - r.pos < clen) {
      needBytes(r, clen);
      yield;
    }
    k.value = lzf ? decompress(r, clen, ulen, 'string', at) : r.bytes(clen);
    return;
  }
  if (k.small) p.goBig(k);
  let remaining = clen;
  const dec = lzf ? new LzfStream(ulen, Math.min(64 * 1024, p.batchMaxBytes)) : null;
  while (remaining > 0) {
    const avail = r.end - r.pos;
    if (avail === 0) {
      needBytes(r, 1);
      yield;
      continue;
    }
    if (dec) {
      const take = avail < remaining ? avail : remaining;
      let outs: Buffer[];
      try {
        outs = dec.push(r.buf.subarray(r.pos, r.pos + take));
      } catch (e) {
        if (e instanceof LzfError) throw new RdbError('CORRUPT', `invalid LZF-compressed string: ${e.message}`, at);
        throw e;
      }
      r.pos += take;
      remaining -= take;
      for (const o of outs) p.emitBatch(k, [o]);
    } else {
      const take = Math.min(avail, remaining, p.batchMaxBytes);
      const piece = r.buf.subarray(r.pos, r.pos + take);
      r.pos += take;
      remaining -= take;
      p.emitBatch(k, [piece]);
    }
  }
  if (dec) {
    try {
      dec.finish();
    } catch (e) {
      if (e instanceof LzfError) throw new RdbError('CORRUPT', `invalid LZF-compressed string: ${e.message}`, at);
      throw e;
    }
  }
}

/** LIST / SET: len n, n strings. */
function* stringCollection(p: Core, k: KeyState, sink: BufferSink): Machine {
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
function* countedUnits(p: Core, k: KeyState, s: Scratch, unit: (r: Reader, s: Scratch) => void, add: (s: Scratch) => void): Machine {
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

/** ZSET (ASCII scores) / ZSET_2 (binary scores). */
function* zsetPairs(p: Core, k: KeyState, unit: (r: Reader, s: Scratch) => void): Machine {
  const sink = new ZsetSink();
  k.sink = sink;
  yield* countedUnits(p, k, newScratch(), unit, (s) => sink.push(s.a, s.score));
}

/** HASH: len n, n × (field, value). */
function* hashPairs(p: Core, k: KeyState): Machine {
  const sink = new HashSink();
  k.sink = sink;
  yield* countedUnits(p, k, newScratch(), unitPair, (s) => sink.push([s.a, s.b]));
}

/**
 * Hashes with field TTLs stored as a dict:
 * - 'pre-ga' (type 22 in REDIS files): len n, n × (len ttl absolute ms, 0 = none; field; value)
 * - 'ga' (type 24): u64 LE minExpire, len n, n × (len ttl; field; value), expiry = ttl + minExpire − 1
 * - 'valkey' (type 22 in VALKEY files, HASH_2): len n, n × (field; value; int64 LE ms, −1 = none)
 */
function* hashTtlPairs(p: Core, k: KeyState, kind: 'pre-ga' | 'ga' | 'valkey'): Machine {
  const r = p.r;
  const sink = new HashSink();
  k.sink = sink;
  const s = newScratch();
  let minExpire = 0;
  if (kind === 'ga') {
    while (!tryUnit(r, unitU64, s)) {
      p.beforeWait(k);
      yield;
    }
    minExpire = s.n;
  }
  const unit = kind === 'valkey' ? unitPairI64 : unitTtlPair;
  yield* countedUnits(p, k, s, unit, (u) => {
    if (kind === 'valkey') sink.push(u.n === -1 ? [u.a, u.b] : [u.a, u.b, u.n]);
    else if (u.n === 0) sink.push([u.a, u.b]);
    else sink.push([u.a, u.b, kind === 'ga' ? u.n + minExpire - 1 : u.n]);
  });
}

const BLOB_ZIPLIST = 0;
const BLOB_LISTPACK = 1;
const BLOB_INTSET = 2;
const BLOB_ZIPMAP = 3;

function makeFeeder(kind: number, len: number): BlobFeeder {
  switch (kind) {
    case BLOB_ZIPLIST:
      return new ZiplistFeeder(len);
    case BLOB_LISTPACK:
      return new ListpackFeeder(len);
    case BLOB_INTSET:
      return new IntsetFeeder(len);
    default:
      return new ZipmapFeeder(len);
  }
}

/**
 * A string holding an encoded container. Read whole when it is small (or already buffered),
 * otherwise pumped through a BlobPump so neither the compressed nor the decoded blob is held
 * whole.
 */
function* blobValue(p: Core, k: KeyState, kind: number, sink: Sink<any>, name: string): Machine {
  const r = p.r;
  while (!tryHeader(r)) {
    p.beforeWait(k);
    yield;
  }
  const at = r.base + r.pos;
  if (r.hdrKind === STR_INT) {
    const blob = r.hdrInt;
    makeFeeder(kind, blob.length).feed(blobReader(blob, name, at), sink);
    p.afterElement(k);
    return;
  }
  const lzf = r.hdrKind === STR_LZF;
  const clen = r.hdrLen;
  const ulen = lzf ? r.hdrULen : clen;
  const lim = k.small && p.threshold > BLOB_WHOLE_LIMIT ? p.threshold : BLOB_WHOLE_LIMIT;
  const whole = (!lzf && r.end - r.pos >= clen) || (ulen <= lim && clen <= lim);
  if (whole) {
    while (r.end - r.pos < clen) {
      needBytes(r, clen);
      yield;
    }
    const blob = lzf ? decompress(r, clen, ulen, name, at) : r.bytes(clen);
    makeFeeder(kind, blob.length).feed(blobReader(blob, name, at), sink);
    // A small key's decompressed parts must be within the threshold too.
    if (k.small && lzf && ulen > p.threshold) p.goBig(k);
    p.afterElement(k);
    return;
  }
  if (k.small) p.goBig(k);
  const pump = new BlobPump(lzf, clen, ulen, name, at, r.maxString);
  const feeder = makeFeeder(kind, ulen);
  for (;;) {
    if (feeder.feed(pump.inner, sink)) break;
    p.afterElement(k);
    while (!pump.pull(r)) {
      needBytes(r, 1);
      yield;
    }
  }
  if (pump.remaining !== 0) {
    throw new RdbError('CORRUPT', `the ${name} ends before its blob does`, at);
  }
  p.afterElement(k);
}

/** LIST_QUICKLIST (ziplist nodes) and LIST_QUICKLIST_2 (container + listpack/plain nodes). */
function* quicklist(p: Core, k: KeyState, v2: boolean): Machine {
  const r = p.r;
  const sink = new BufferSink();
  k.sink = sink;
  let n: number;
  while ((n = tryLen(r)) < 0) {
    p.beforeWait(k);
    yield;
  }
  for (let i = 0; i < n; i++) {
    if (!v2) {
      yield* blobValue(p, k, BLOB_ZIPLIST, sink, 'quicklist ziplist node');
      continue;
    }
    let container: number;
    while ((container = tryLen(r)) < 0) {
      p.beforeWait(k);
      yield;
    }
    if (container === 1) {
      // PLAIN node: the string is one element.
      let el: Buffer | null;
      while ((el = tryString(r)) === null) {
        p.beforeWait(k);
        yield;
      }
      sink.push(el);
      p.afterElement(k);
    } else if (container === 2) {
      yield* blobValue(p, k, BLOB_LISTPACK, sink, 'quicklist listpack node');
    } else {
      throw new RdbError('CORRUPT', `unknown quicklist node container ${container}`, r.base + r.pos);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Streams

interface StreamScratch {
  v2: boolean;
  v3: boolean;
  length: number;
  lastId: StreamId;
  firstId: StreamId | undefined;
  maxDeletedId: StreamId | undefined;
  entriesAdded: number | undefined;
  count: number;
  name: Buffer;
  id: StreamId;
  entriesRead: number | undefined;
  time: number;
  time2: number;
  dcount: number;
  masterId: Buffer;
}

const ZERO_ID: StreamId = { ms: 0n, seq: 0n };
const U64_MAX = (1n << 64n) - 1n;

function lenId(r: Reader): StreamId {
  const ms = r.readLenBig();
  const seq = r.readLenBig();
  return { ms, seq };
}

function bigToNumber(v: bigint): number {
  return v === U64_MAX ? -1 : Number(v);
}

function unitStreamHeader(r: Reader, s: StreamScratch): void {
  s.length = r.readLen();
  s.lastId = lenId(r);
  if (s.v2) {
    s.firstId = lenId(r);
    s.maxDeletedId = lenId(r);
    s.entriesAdded = bigToNumber(r.readLenBig());
  }
  s.count = r.readLen();
}

function unitGroupHeader(r: Reader, s: StreamScratch): void {
  s.name = r.readString();
  s.id = lenId(r);
  s.entriesRead = s.v2 ? bigToNumber(r.readLenBig()) : undefined;
  s.count = r.readLen();
}

function unitPel(r: Reader, s: StreamScratch): void {
  s.id = rawStreamId(r.bytes(16));
  s.time = r.i64le();
  s.dcount = r.readLen();
}

function unitCount(r: Reader, s: StreamScratch): void {
  s.count = r.readLen();
}

function unitConsumerHeader(r: Reader, s: StreamScratch): void {
  s.name = r.readString();
  s.time = r.i64le();
  s.time2 = s.v3 ? r.i64le() : s.time;
  s.count = r.readLen();
}

function unitRawId(r: Reader, s: StreamScratch): void {
  s.id = rawStreamId(r.bytes(16));
}

function unitMasterId(r: Reader, s: StreamScratch): void {
  const at = r.pos;
  s.masterId = r.readString();
  if (s.masterId.length !== 16) r.fail(`stream node key is ${s.masterId.length} bytes, expected a 16-byte ID`, 'CORRUPT', at);
}

function* streamValue(p: Core, k: KeyState): Machine {
  const r = p.r;
  const sink = new StreamSink();
  k.sink = sink;
  const s: StreamScratch = {
    v2: k.typeId >= 19,
    v3: k.typeId >= 21,
    length: 0,
    lastId: ZERO_ID,
    firstId: undefined,
    maxDeletedId: undefined,
    entriesAdded: undefined,
    count: 0,
    name: EMPTY,
    id: ZERO_ID,
    entriesRead: undefined,
    time: 0,
    time2: 0,
    dcount: 0,
    masterId: EMPTY,
  };
  let nodes: number;
  while ((nodes = tryLen(r)) < 0) {
    p.beforeWait(k);
    yield;
  }
  for (let i = 0; i < nodes; i++) {
    while (!tryUnit(r, unitMasterId, s)) {
      p.beforeWait(k);
      yield;
    }
    sink.startNode(s.masterId);
    yield* blobValue(p, k, BLOB_LISTPACK, sink, 'stream listpack');
    sink.endNode();
  }
  while (!tryUnit(r, unitStreamHeader, s)) {
    p.beforeWait(k);
    yield;
  }
  const meta: StreamMeta = {
    length: s.length,
    lastId: s.lastId,
    firstId: s.firstId,
    maxDeletedId: s.maxDeletedId,
    entriesAdded: s.entriesAdded,
    groups: [],
  };
  const ngroups = s.count;
  for (let g = 0; g < ngroups; g++) {
    while (!tryUnit(r, unitGroupHeader, s)) {
      p.beforeWait(k);
      yield;
    }
    const group: StreamGroup = { name: s.name, lastId: s.id, entriesRead: s.entriesRead, pel: [], consumers: [] };
    const npel = s.count;
    for (let i = 0; i < npel; i++) {
      while (!tryUnit(r, unitPel, s)) {
        p.beforeWait(k);
        yield;
      }
      group.pel.push({ id: s.id, deliveryTime: s.time, deliveryCount: s.dcount });
    }
    while (!tryUnit(r, unitCount, s)) {
      p.beforeWait(k);
      yield;
    }
    const nconsumers = s.count;
    for (let c = 0; c < nconsumers; c++) {
      while (!tryUnit(r, unitConsumerHeader, s)) {
        p.beforeWait(k);
        yield;
      }
      const consumer = { name: s.name, seenTime: s.time, activeTime: s.time2, pel: [] as StreamId[] };
      const nids = s.count;
      for (let i = 0; i < nids; i++) {
        while (!tryUnit(r, unitRawId, s)) {
          p.beforeWait(k);
          yield;
        }
        consumer.pel.push(s.id);
      }
      group.consumers.push(consumer);
    }
    meta.groups.push(group);
  }
  k.stream = meta;
}

// ---------------------------------------------------------------------------------------------
// Modules

const MODULE_CHARSET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Decode a 64-bit module type id: nine 6-bit characters then a 10-bit encoding version. */
export function moduleInfo(id: bigint): ModuleValue {
  let name = '';
  for (let j = 0; j < 9; j++) name += MODULE_CHARSET[Number((id >> BigInt(64 - 6 * (j + 1))) & 63n)];
  return { moduleId: id, name, encVersion: Number(id & 1023n) };
}

function unitLenBig(r: Reader, s: { v: bigint }): void {
  s.v = r.readLenBig();
}

function unitSkip4(r: Reader): void {
  r.skip(4);
}

function unitSkip8(r: Reader): void {
  r.skip(8);
}

/**
 * Walk MODULE_2 tagged values (len opcode + value; 1 SINT / 2 UINT len, 3 float, 4 double,
 * 5 string; 0 ends) without interpreting them. Shared with MODULE_AUX.
 */
export function* moduleTaggedValues(p: Core, k: KeyState | null): Machine {
  const r = p.r;
  const big = { v: 0n };
  for (;;) {
    const at = r.base + r.pos;
    let op: number;
    while ((op = tryLen(r)) < 0) {
      if (k) p.beforeWait(k);
      yield;
    }
    if (op === 0) return;
    switch (op) {
      case 1:
      case 2:
        while (!tryUnit(r, unitLenBig, big)) {
          if (k) p.beforeWait(k);
          yield;
        }
        break;
      case 3:
        while (!tryUnit(r, unitSkip4, null)) yield;
        break;
      case 4:
        while (!tryUnit(r, unitSkip8, null)) yield;
        break;
      case 5: {
        while (!tryHeader(r)) {
          if (k) p.beforeWait(k);
          yield;
        }
        if (r.hdrKind === STR_INT) break;
        let remaining = r.hdrLen;
        while (remaining > 0) {
          const avail = r.end - r.pos;
          if (avail === 0) {
            needBytes(r, 1);
            if (k && k.small && r.base + r.pos + remaining - k.valueStart > p.threshold) p.goBig(k);
            yield;
            continue;
          }
          const take = avail < remaining ? avail : remaining;
          r.pos += take;
          remaining -= take;
        }
        break;
      }
      default:
        throw new RdbError('CORRUPT', `unknown module value opcode ${op}`, at);
    }
    if (k) p.afterElement(k);
  }
}

function* moduleValue(p: Core, k: KeyState): Machine {
  const r = p.r;
  const s = { v: 0n };
  while (!tryUnit(r, unitLenBig, s)) {
    p.beforeWait(k);
    yield;
  }
  k.module = moduleInfo(s.v);
  if (k.typeId === 6) {
    throw new RdbError(
      'UNKNOWN_MODULE',
      `module value of type "${k.module.name}" (encoding version ${k.module.encVersion}) uses the pre-GA module format (RDB type 6), which cannot be parsed without the module`,
      k.offset,
    );
  }
  k.value = k.module;
  yield* moduleTaggedValues(p, k);
}
