/**
 * Streaming RDB parser.
 *
 * Push API:   const p = new RdbParser(opts); events = p.push(chunk) ...; events = p.end();
 * Pull API:   for await (const batch of parseRdb(source, opts)) for (const ev of batch) ...
 *
 * Input chunks may be split at any byte. Records between keys (opcodes) are parsed atomically
 * from buffered bytes; a key is decoded by its type's resumable generator (type-table.ts, values/) that waits only
 * when the bytes it needs have not arrived, so the parser never re-parses a key and never
 * awaits per field. Memory: the reader holds the unconsumed tail of the input (at most one
 * element plus the latest chunk), plus, for a key that may still be "small", that key's bytes
 * (bounded by `bigKeyThreshold`).
 */
import { parserReads, parserReadsText, rdbVersionNote } from '../servers/facts';
import fs from 'node:fs';
import { Crc64 } from './crc64';
import { hex64, RdbError } from './errors';
import { RDB_OPCODE } from './opcodes';
import { NEED_MORE, Reader, STR_INT, STR_LZF, view } from './reader';
import { rdbTypes, type RdbTypeSpec } from './type-table';
import type {
  ModuleValue,
  RdbSlotImportEvent,
  RdbEvent,
  RdbMagic,
  RdbParserOptions,
  RdbTypeName,
  StreamValue,
} from './types';
import { blobHeaderCount, decodeBlob, type BlobLayout } from './values/blob-value';
import { KeyState, tryUnit, type Core, type Machine, type ValueDecoder } from './values/decoder';
import { moduleInfo, moduleTaggedValues } from './values/module';

export const DEFAULT_BIG_KEY_THRESHOLD = 8 * 1024 * 1024;
export const DEFAULT_BATCH_MAX_ITEMS = 1024;
export const DEFAULT_BATCH_MAX_BYTES = 1024 * 1024;
export const DEFAULT_MAX_ELEMENT_SIZE = 512 * 1024 * 1024;

/**
 * Limits of the records between keys that a source could make as large as it likes (a hostile
 * source's 4 MiB SLOT_IMPORT record once took 41 s and 674 MB). Far above what Redis, Valkey or a
 * module writes: MODULE_AUX is a module's own data (index definitions and the like) and is kept
 * whole for its event; SLOT_IMPORT names a slot-migration job (40 characters in Valkey) and ranges of
 * the 16384 slots, which cannot need more ranges than there are slots.
 */
export const MAX_MODULE_AUX_BYTES = 64 * 1024 * 1024;
export const MAX_SLOT_IMPORT_NAME_BYTES = 1024;
export const CLUSTER_SLOTS = 16384;

const EMPTY = Buffer.alloc(0);
const NO_EVENTS: RdbEvent[] = [];

function readRange(r: Reader, pair: [number, number]): void {
  pair[0] = r.readLen();
  pair[1] = r.readLen();
}

/** Keys per `string-run` event. */
const RUN_MAX = 512;

/** Where the length read by the last `plainLength` call ends. */
let lengthEnd = 0;

/**
 * An RDB length in its 6-, 14- or 32-bit form at buf[p] (its end in `lengthEnd`), or -1
 * when the bytes are not buffered or hold another form (an encoded string, a 64-bit length).
 */
function plainLength(buf: Buffer, p: number, end: number): number {
  if (p >= end) return -1;
  const b = buf[p]!;
  if (b < 0x40) {
    lengthEnd = p + 1;
    return b;
  }
  if (b < 0x80 && p + 1 < end) {
    lengthEnd = p + 2;
    return ((b & 0x3f) << 8) | buf[p + 1]!;
  }
  if (b === 0x80 && p + 4 < end) {
    lengthEnd = p + 5;
    return buf.readUInt32BE(p + 1);
  }
  return -1;
}

/**
 * A small blob-encoded key (option `lazyValues`) whose value is decoded when first read:
 * a consumer that only passes `raw` on (RESTORE) never pays for decoding it.
 */
class LazyKeyEvent {
  readonly type = 'key';
  private decoded: unknown[] | undefined;

  constructor(
    readonly offset: number,
    readonly db: number,
    readonly key: Buffer,
    readonly typeId: number,
    readonly typeName: RdbTypeName,
    readonly encoding: string,
    readonly expireAt: number | undefined,
    readonly idle: number | undefined,
    readonly freq: number | undefined,
    readonly raw: Buffer,
    private readonly layout: BlobLayout,
    private readonly blob: Buffer,
    private readonly blobOffset: number,
  ) {}

  get value(): unknown[] {
    this.decoded ??= decodeBlob(this.layout, this.blob, this.encoding, this.blobOffset);
    return this.decoded;
  }
}

const ST_HEADER = 0;
const ST_RECORDS = 1;
const ST_DONE = 2;

export class RdbParser implements Core {
  readonly r: Reader;
  magic: RdbMagic = 'REDIS';
  version = 0;
  /** The value types of this file's magic, by id (set with the header). */
  private types = rdbTypes('REDIS');
  readonly threshold: number;
  readonly batchMaxItems: number;
  readonly batchMaxBytes: number;
  private readonly verify: boolean;
  private readonly stringRuns: boolean;
  private readonly lazyValues: boolean;
  /** The string run being collected: spans into r.buf (valid until the reader's buffer changes). */
  private runSpans = new Int32Array(RUN_MAX * 4);
  private runCount = 0;
  private runOffset = 0;

  private state = ST_HEADER;
  private out: RdbEvent[] = [];
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Absolute input offset that must be buffered before parsing can progress. */
  private waitTarget = 0;
  private ended = false;
  private failed: unknown = null;

  private readonly crc = new Crc64();
  /** Absolute offset up to which the CRC has been computed. */
  private crcDone = 0;

  private db = 0;
  private expireAt: number | undefined = undefined;
  private idle: number | undefined = undefined;
  private freq: number | undefined = undefined;
  private emptyKeysSkipped = 0;

  private key: KeyState | null = null;
  private machine: Machine | null = null;
  /** A record between keys read in steps (MODULE_AUX, SLOT_IMPORT): resumed, never re-read from its start. */
  private record: Machine | null = null;
  /** Bytes the record being read keeps so far (MODULE_AUX's raw data). */
  private recordBytes = 0;
  /** Bytes after the end of the RDB (e.g. the replication stream that follows it). */
  private trailing: Buffer[] = [];

  constructor(options: RdbParserOptions = {}) {
    this.threshold = options.bigKeyThreshold ?? DEFAULT_BIG_KEY_THRESHOLD;
    this.batchMaxItems = Math.max(1, options.batchMaxItems ?? DEFAULT_BATCH_MAX_ITEMS);
    this.batchMaxBytes = Math.max(1, options.batchMaxBytes ?? DEFAULT_BATCH_MAX_BYTES);
    this.verify = options.verifyChecksum ?? true;
    this.stringRuns = options.stringRuns ?? false;
    this.lazyValues = options.lazyValues ?? false;
    this.r = new Reader(EMPTY, 0, 0, false, 0, options.maxElementSize ?? DEFAULT_MAX_ELEMENT_SIZE);
  }

  /** True once the EOF record (and checksum) has been read. */
  get done(): boolean {
    return this.state === ST_DONE;
  }

  /** Bytes of the RDB consumed so far. */
  get offset(): number {
    return this.r.base + this.r.pos;
  }

  /**
   * Bytes the parser retains right now: unconsumed input, a small key's raw bytes so far, and
   * decoded items not yet emitted (approximate). Bounded by about bigKeyThreshold + one element
   * + one input chunk + batchMaxBytes.
   */
  get bufferedBytes(): number {
    let n = this.r.end - this.r.pos + this.pendingBytes + this.recordBytes;
    const k = this.key;
    if (k) {
      for (const piece of k.rawPieces) n += piece.length;
      if (k.sink) n += k.sink.bytes;
    }
    return n;
  }

  /** Input received after the end of the RDB (only after `done`). */
  takeTrailing(): Buffer {
    const t = this.trailing.length === 1 ? this.trailing[0]! : Buffer.concat(this.trailing);
    this.trailing = [];
    return t;
  }

  /**
   * Feed the next chunk. Returns the events completed by it (possibly none). After `done`,
   * further input is kept as trailing bytes (see takeTrailing).
   */
  push(chunk: Buffer): RdbEvent[] {
    if (this.failed) throw this.failed;
    if (this.ended) throw new Error('RdbParser.push() after end()');
    if (this.state === ST_DONE) {
      if (chunk.length) this.trailing.push(chunk);
      return NO_EVENTS;
    }
    if (chunk.length === 0) return NO_EVENTS;
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.r.base + this.r.end + this.pendingBytes < this.waitTarget) return NO_EVENTS;
    return this.drive();
  }

  /** Signal the end of input. Throws TRUNCATED when the RDB is incomplete. */
  end(): RdbEvent[] {
    if (this.failed) throw this.failed;
    if (this.ended) return NO_EVENTS;
    this.ended = true;
    if (this.state === ST_DONE) return NO_EVENTS;
    this.r.final = true;
    const events = this.drive();
    if (this.state !== ST_DONE) {
      // drive() throws TRUNCATED from the read that ran out; this is a safety net.
      const err = new RdbError('TRUNCATED', 'the input ended before the end of the RDB', this.offset);
      this.failed = err;
      throw err;
    }
    return events;
  }

  private drive(): RdbEvent[] {
    this.merge();
    try {
      this.run();
    } catch (e) {
      this.failed = this.decorate(e);
      throw this.failed;
    }
    const out = this.out;
    if (out.length === 0) return NO_EVENTS;
    this.out = [];
    return out;
  }

  /** Append pending chunks to the reader's unconsumed bytes. */
  private merge(): void {
    if (this.pendingBytes === 0) return;
    const r = this.r;
    this.checksumTo(r.base + r.pos);
    const left = r.end - r.pos;
    let buf: Buffer;
    if (left === 0 && this.pending.length === 1) {
      buf = this.pending[0]!;
    } else {
      buf = Buffer.allocUnsafe(left + this.pendingBytes);
      let o = 0;
      if (left) {
        buf.set(r.buf.subarray(r.pos, r.end), 0);
        o = left;
      }
      for (const c of this.pending) {
        buf.set(c, o);
        o += c.length;
      }
    }
    r.base += r.pos;
    r.buf = buf;
    r.pos = 0;
    r.end = buf.length;
    this.pending = [];
    this.pendingBytes = 0;
  }

  /**
   * Called when parsing must wait: checksum and drop the consumed bytes (keeping a small key's
   * raw bytes as pieces) and remember how much input is needed.
   */
  private suspend(): void {
    const r = this.r;
    this.waitTarget = r.needPos;
    const k = this.key;
    if (k && k.valueStart >= 0) this.collectRaw(k);
    this.checksumTo(r.base + r.pos);
    if (r.pos > 0) {
      r.base += r.pos;
      r.buf = r.buf.subarray(r.pos, r.end);
      r.end -= r.pos;
      r.pos = 0;
    }
  }

  private checksumTo(abs: number): void {
    if (!this.verify || abs <= this.crcDone) return;
    const r = this.r;
    this.crc.update(r.buf, this.crcDone - r.base, abs - r.base);
    this.crcDone = abs;
  }

  /** Move a small key's (or a module's) consumed raw bytes into rawPieces. */
  private collectRaw(k: KeyState): void {
    if (!k.small && k.typeName !== 'module') return;
    const r = this.r;
    const from = k.rawFrom - r.base;
    if (r.pos > from) {
      k.rawPieces.push(r.buf.subarray(from, r.pos));
      k.rawFrom = r.base + r.pos;
    }
    if (!k.small && k.rawPieces.length) {
      const pieces = k.rawPieces;
      k.rawPieces = [];
      this.emitBatch(k, pieces);
    }
  }

  private decorate(e: unknown): unknown {
    if (e === NEED_MORE) {
      return new RdbError('INTERNAL', 'parser signalled a need for more input outside a resumable point', this.offset);
    }
    const k = this.key;
    const where = k && k.key.length ? ` while reading key ${describeKey(k.key)} (${k.encoding}, RDB type ${k.typeId})` : '';
    if (e instanceof RdbError) {
      if (!where && e.offset >= 0) return e;
      const withWhere = where ? e.withContext(where) : e;
      return withWhere.offset >= 0
        ? withWhere
        : new RdbError(withWhere.code, withWhere.detail, k ? k.offset : this.offset, withWhere.hint, { cause: e });
    }
    const msg = e instanceof Error ? e.message : String(e);
    return new RdbError('INTERNAL', `unexpected parser failure: ${msg}${where}`, this.offset, undefined, { cause: e });
  }

  private run(): void {
    const r = this.r;
    for (;;) {
      if (this.record) {
        if (!this.record.next().done) {
          this.suspend();
          return;
        }
        this.record = null;
      }
      if (this.machine) {
        if (!this.machine.next().done) {
          this.suspend();
          return;
        }
        this.machine = null;
        this.finishKey(this.key!);
        this.key = null;
      }
      if (this.state === ST_RECORDS) {
        if (!this.records()) {
          this.suspend();
          return;
        }
      }
      if (this.state === ST_HEADER) {
        if (!this.header()) {
          this.suspend();
          return;
        }
        continue;
      }
      if (this.state === ST_DONE) {
        this.checksumTo(r.base + r.pos);
        const rest = r.end - r.pos;
        if (rest > 0) this.trailing.push(r.buf.subarray(r.pos, r.end));
        r.pos = r.end;
        return;
      }
    }
  }

  private header(): boolean {
    const r = this.r;
    if (r.end - r.pos < 9) {
      if (r.final) {
        if (r.end - r.pos === 0) r.fail('the input is empty', 'TRUNCATED');
        r.short(9);
      }
      r.needPos = r.base + r.pos + 9;
      return false;
    }
    const h = r.buf.toString('latin1', r.pos, r.pos + 9);
    let version = 0;
    if (/^REDIS\d{4}$/.test(h)) {
      this.magic = 'REDIS';
      version = Number(h.slice(5));
      if (!parserReads('REDIS', version)) {
        r.fail(`unsupported RDB version ${version}${rdbVersionNote('REDIS', version)} (this parser reads ${parserReadsText('REDIS')})`,
          'UNSUPPORTED_VERSION');
      }
    } else if (/^VALKEY\d{3}$/.test(h)) {
      this.magic = 'VALKEY';
      version = Number(h.slice(6));
      if (!parserReads('VALKEY', version)) {
        r.fail(`unsupported Valkey RDB version ${version}${rdbVersionNote('VALKEY', version)} (this parser reads ${parserReadsText('VALKEY')})`,
          'UNSUPPORTED_VERSION');
      }
    } else {
      r.fail(`not an RDB file: expected "REDIS" + 4 digits or "VALKEY" + 3 digits, found ${JSON.stringify(h)}`, 'BAD_MAGIC');
    }
    this.version = version;
    this.types = rdbTypes(this.magic);
    r.pos += 9;
    this.out.push({ type: 'header', magic: this.magic, version });
    this.state = ST_RECORDS;
    return true;
  }

  /**
   * Parse records until input runs out (false), a key's decoder must wait (machine set; false),
   * or the RDB ends (true).
   */
  private records(): boolean {
    const r = this.r;
    const out = this.out;
    for (;;) {
      const start = r.pos;
      if (start >= r.end) {
        if (this.runCount > 0) this.endRun();
        if (r.final) r.short(1);
        r.needPos = r.base + start + 1;
        return false;
      }
      const b = r.buf[start]!;
      if (b === 0 && this.stringRuns && this.expireAt === undefined && this.plainString(start)) continue;
      if (this.runCount > 0) this.endRun();
      if (b < 0xf3) {
        // A key record: type byte, key, value.
        r.pos = start + 1;
        const type = this.types[b];
        if (type === undefined || type.unsupported !== undefined) this.unknownType(b, start, type);
        if (type.fast && this.fastKey(b, start, type)) continue;
        r.pos = start + 1;
        const k = new KeyState(r.base + start, this.db, b, type.typeName, type.encoding, this.expireAt, this.idle, this.freq);
        this.expireAt = undefined;
        this.idle = undefined;
        this.freq = undefined;
        this.key = k;
        const m = this.keyMachine(k, type.decode);
        if (m.next().done) {
          this.finishKey(k);
          this.key = null;
          continue;
        }
        this.machine = m;
        return false;
      }
      try {
        r.pos = start + 1;
        switch (b) {
          case RDB_OPCODE.EXPIRETIME_MS:
            this.expireAt = r.i64le();
            break;
          case RDB_OPCODE.EXPIRETIME:
            this.expireAt = r.i32le() * 1000;
            break;
          case RDB_OPCODE.SELECTDB: {
            const db = r.readLen();
            this.db = db;
            out.push({ type: 'selectdb', offset: r.base + start, db });
            break;
          }
          case RDB_OPCODE.RESIZEDB: {
            const dbSize = r.readLen();
            const expiresSize = r.readLen();
            out.push({ type: 'resizedb', offset: r.base + start, dbSize, expiresSize });
            break;
          }
          case RDB_OPCODE.AUX: {
            const key = r.readString();
            const value = r.readString();
            out.push({ type: 'aux', offset: r.base + start, key: key.toString('latin1'), value });
            break;
          }
          case RDB_OPCODE.FREQ:
            this.freq = r.u8();
            break;
          case RDB_OPCODE.IDLE:
            this.idle = r.readLen();
            break;
          case RDB_OPCODE.MODULE_AUX: {
            const id = r.readLenBig();
            const whenOpcode = r.readLen();
            const when = r.readLen();
            if (whenOpcode !== 2) r.fail(`module aux data has a bad "when" opcode ${whenOpcode}`);
            // The tagged values are walked as they arrive (waiting between values, never from the start again).
            const m = this.moduleAux(r.base + start, moduleInfo(id), when);
            if (!m.next().done) {
              this.record = m;
              return false;
            }
            break;
          }
          case RDB_OPCODE.FUNCTION2: {
            const source = r.readString();
            out.push({ type: 'function', offset: r.base + start, source });
            break;
          }
          case RDB_OPCODE.FUNCTION_PRE_GA:
            r.fail(
              'pre-release function format (RDB opcode 246, Redis 7.0 release candidates) is not supported',
              'UNSUPPORTED_FORMAT',
              start,
            );
            break;
          case RDB_OPCODE.SLOT_INFO: {
            const slot = r.readLen();
            const keys = r.readLen();
            const expires = r.readLen();
            out.push({ type: 'slot-info', offset: r.base + start, slot, keys, expires });
            break;
          }
          case RDB_OPCODE.KEY_META_OR_SLOT_IMPORT: {
            if (this.magic !== 'VALKEY') {
              if (this.version >= 13) {
                r.fail('key metadata (opcode 243, Redis 8.6: metadata classes of modules attached to a key) is not supported',
                  'UNSUPPORTED_FORMAT', start);
              }
              r.fail('opcode 243 (Redis 8.6 key metadata) is not valid in an RDB of version ≤ 12', 'UNKNOWN_TYPE', start);
            }
            r.readStringHeader();
            const nameBytes = r.hdrKind === STR_LZF ? r.hdrULen : r.hdrLen;
            if (r.hdrKind !== STR_INT && nameBytes > MAX_SLOT_IMPORT_NAME_BYTES) {
              r.fail(`a SLOT_IMPORT record names its job with ${nameBytes} bytes, over the limit of ${MAX_SLOT_IMPORT_NAME_BYTES}`,
                'RECORD_TOO_LARGE', start);
            }
            r.pos = start + 1;
            // A copy: the ranges may arrive in later chunks, after the reader has dropped these bytes.
            const jobName = Buffer.from(r.readString());
            const n = r.readLen();
            if (n > CLUSTER_SLOTS) {
              r.fail(`a SLOT_IMPORT record declares ${n} slot ranges, over the limit of ${CLUSTER_SLOTS} (one per slot)`, 'RECORD_TOO_LARGE', start);
            }
            const m = this.slotImport(r.base + start, jobName, n);
            if (!m.next().done) {
              this.record = m;
              return false;
            }
            break;
          }
          case RDB_OPCODE.EOF: {
            const ffEnd = r.pos;
            if (this.version >= 5) r.ensure(8);
            this.eof(ffEnd);
            return true;
          }
        }
      } catch (e) {
        if (e === NEED_MORE) {
          r.pos = start;
          // The events of this record were not pushed yet (every push is the record's last step). What is
          // re-read is bounded: the records read in steps (MODULE_AUX, SLOT_IMPORT) retry only their headers.
          return false;
        }
        throw e;
      }
    }
  }

  /**
   * MODULE_AUX's tagged values (after its header), walked as they arrive: the bytes consumed are kept
   * as pieces across waits (its event carries them), up to MAX_MODULE_AUX_BYTES.
   */
  private *moduleAux(offset: number, module: ModuleValue, when: number): Machine {
    const r = this.r;
    const walk = moduleTaggedValues(this, null);
    const pieces: Buffer[] = [];
    let bytes = 0;
    for (;;) {
      const from = r.pos;
      const finished = walk.next().done;
      bytes += r.pos - from;
      if (bytes > MAX_MODULE_AUX_BYTES) {
        this.recordBytes = 0;
        throw new RdbError('RECORD_TOO_LARGE',
          `the MODULE_AUX record of module ${module.name} holds more than the limit of ${MAX_MODULE_AUX_BYTES / 1048576} MiB`, offset);
      }
      pieces.push(r.buf.subarray(from, r.pos));
      if (finished) break;
      this.recordBytes = bytes;
      yield;
    }
    this.recordBytes = 0;
    this.out.push({ type: 'module-aux', offset, module, when, raw: pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces) });
  }

  /** SLOT_IMPORT's `n` slot ranges (n already bounded), read as they arrive. */
  private *slotImport(offset: number, jobName: Buffer, n: number): Machine {
    const r = this.r;
    const ranges: RdbSlotImportEvent['ranges'] = [];
    const pair: [number, number] = [0, 0];
    for (let i = 0; i < n; i++) {
      while (!tryUnit(r, readRange, pair)) yield;
      const [a, b] = pair;
      if (a > b || b >= CLUSTER_SLOTS) r.fail(`a SLOT_IMPORT record holds the slot range ${a}-${b}, which is not one of slots 0-${CLUSTER_SLOTS - 1}`);
      ranges.push([a, b]);
    }
    this.out.push({ type: 'slot-import', offset, jobName, ranges });
  }

  /**
   * Hot path for a fully buffered key of a type whose value is one string (plain strings and
   * single-blob encodings): decode synchronously without a resumable decoder. Returns false
   * (leaving r.pos anywhere) when the record is not fully buffered, is over the threshold, is
   * empty or fails to decode; the caller then uses the resumable decoder from the start, which
   * handles (and reports) all of these.
   */
  private fastKey(b: number, start: number, type: RdbTypeSpec): boolean {
    const r = this.r;
    let key: Buffer;
    let value: unknown;
    let vs: number;
    let lazy: Buffer | undefined;
    try {
      key = r.readString();
      vs = r.pos;
      if (r.pos < r.end && r.buf[r.pos] === 0xc3) {
        r.readStringHeader();
        if (r.hdrULen > this.threshold) return false;
        r.pos = vs;
      }
      const str = r.readString();
      if (b === 0) {
        value = str;
      } else if (this.lazyValues && blobHeaderCount(type.blob!.container, str) > 0) {
        lazy = str;
      } else {
        value = decodeBlob(type.blob!, str, type.encoding, r.base + vs);
        if ((value as unknown[]).length === 0) return false;
      }
    } catch {
      return false;
    }
    if (r.pos - vs > this.threshold) return false;
    const offset = r.base + start;
    const raw = view(r.buf, vs, r.pos);
    this.out.push(
      lazy
        ? (new LazyKeyEvent(offset, this.db, key, b, type.typeName, type.encoding, this.expireAt, this.idle, this.freq, raw, type.blob!, lazy, r.base + vs) as unknown as RdbEvent)
        : ({
          type: 'key',
          offset,
          db: this.db,
          key,
          typeId: b,
          typeName: type.typeName,
          encoding: type.encoding,
          expireAt: this.expireAt,
          idle: this.idle,
          freq: this.freq,
          value,
          raw,
        } as RdbEvent),
    );
    this.expireAt = undefined;
    this.idle = undefined;
    this.freq = undefined;
    return true;
  }

  /**
   * With `stringRuns`: a string record whose key and value are stored plainly and fully
   * buffered joins the current run as four offsets. False (nothing consumed) otherwise.
   */
  private plainString(start: number): boolean {
    const r = this.r;
    const buf = r.buf;
    const end = r.end;
    const klen = plainLength(buf, start + 1, end);
    if (klen < 0 || klen > r.maxString) return false;
    const ks = lengthEnd;
    const vlen = plainLength(buf, ks + klen, end);
    if (vlen < 0) return false;
    const p = lengthEnd;
    if (vlen > this.threshold || p + vlen > end) return false;
    if (this.runCount === RUN_MAX) this.endRun();
    if (this.runCount === 0) this.runOffset = r.base + start;
    const spans = this.runSpans;
    const i = this.runCount++ * 4;
    spans[i] = ks;
    spans[i + 1] = klen;
    spans[i + 2] = p;
    spans[i + 3] = vlen;
    r.pos = p + vlen;
    this.idle = undefined;
    this.freq = undefined;
    return true;
  }

  private endRun(): void {
    const count = this.runCount;
    this.runCount = 0;
    this.out.push({ type: 'string-run', offset: this.runOffset, db: this.db, buf: this.r.buf, spans: this.runSpans.slice(0, count * 4), count });
  }

  private unknownType(b: number, start: number, type: RdbTypeSpec | undefined): never {
    const r = this.r;
    if (type?.unsupported !== undefined) r.fail(type.unsupported, 'UNSUPPORTED_FORMAT', start);
    return r.fail(`unknown RDB type or opcode ${b} (0x${b.toString(16)}) in a ${this.magic} version ${this.version} file`, 'UNKNOWN_TYPE', start);
  }

  private eof(ffEnd: number): void {
    const r = this.r;
    const eofAt = r.base + ffEnd - 1;
    this.checksumTo(r.base + ffEnd);
    let checksum: 'verified' | 'skipped' = 'skipped';
    let reason: 'version' | 'zero' | 'disabled' | undefined;
    let stored: bigint | undefined;
    if (this.version < 5) {
      reason = 'version';
    } else {
      const p = r.pos;
      stored = r.buf.readBigUInt64LE(p);
      r.pos = p + 8;
      if (stored === 0n) reason = 'zero';
      else if (!this.verify) reason = 'disabled';
      else if (this.crc.equalsLE(r.buf, p)) checksum = 'verified';
      else {
        throw new RdbError(
          'CHECKSUM_MISMATCH',
          `RDB checksum mismatch: the file is corrupt or truncated (stored ${hex64(stored)}, computed ${hex64(this.crc.digest())})`,
          r.base + p,
        );
      }
    }
    this.crcDone = r.base + r.pos;
    this.out.push({
      type: 'eof',
      offset: eofAt,
      checksum,
      checksumSkipReason: reason,
      storedChecksum: stored,
      bytes: r.base + r.pos,
      emptyKeysSkipped: this.emptyKeysSkipped,
    });
    this.state = ST_DONE;
  }

  private *keyMachine(k: KeyState, decode: ValueDecoder): Machine {
    const r = this.r;
    for (;;) {
      const save = r.pos;
      try {
        k.key = r.readString();
        break;
      } catch (e) {
        if (e !== NEED_MORE) throw e;
        r.pos = save;
        yield;
      }
    }
    k.valueStart = r.base + r.pos;
    k.rawFrom = k.valueStart;
    yield* decode(this, k);
  }

  // --- Core services for the value decoders -------------------------------------------------

  beforeWait(k: KeyState): void {
    if (k.small && k.valueStart >= 0 && this.r.needPos - k.valueStart > this.threshold) this.goBig(k);
  }

  afterElement(k: KeyState): void {
    if (k.small) {
      if (this.r.base + this.r.pos - k.valueStart > this.threshold) this.goBig(k);
      return;
    }
    const sink = k.sink;
    if (sink && (sink.items.length >= this.batchMaxItems || sink.bytes >= this.batchMaxBytes)) this.flushSink(k);
  }

  goBig(k: KeyState): void {
    if (!k.small) return;
    k.small = false;
    this.out.push({
      type: 'key-start',
      offset: k.offset,
      db: k.db,
      key: k.key,
      typeId: k.typeId,
      typeName: k.typeName,
      encoding: k.encoding,
      expireAt: k.expireAt,
      idle: k.idle,
      freq: k.freq,
      module: k.module,
    });
    if (k.typeName === 'module') {
      this.collectRaw(k);
    } else {
      k.rawPieces = [];
      if (k.typeName === 'string' && k.value instanceof Buffer) {
        // A string read whole (e.g. an integer encoding) that turned out over the threshold.
        this.emitBatch(k, [k.value]);
        k.value = undefined;
      }
      this.flushSink(k);
    }
  }

  /** Emit everything in the key's sink as batches of bounded size. */
  private flushSink(k: KeyState): void {
    const sink = k.sink;
    if (!sink || sink.items.length === 0) return;
    const items = sink.items;
    sink.items = [];
    sink.bytes = 0;
    const maxItems = this.batchMaxItems;
    const maxBytes = this.batchMaxBytes;
    if (items.length <= maxItems) {
      let total = 0;
      for (const it of items) total += sink.itemBytes(it);
      if (total <= maxBytes) {
        this.emitBatch(k, items);
        return;
      }
    }
    let batch: unknown[] = [];
    let bytes = 0;
    for (const it of items) {
      batch.push(it);
      bytes += sink.itemBytes(it);
      if (batch.length >= maxItems || bytes >= maxBytes) {
        this.emitBatch(k, batch);
        batch = [];
        bytes = 0;
      }
    }
    if (batch.length) this.emitBatch(k, batch);
  }

  emitBatch(k: KeyState, items: unknown[]): void {
    if (k.small) this.goBig(k);
    k.count += items.length;
    this.out.push({ type: 'key-batch', db: k.db, key: k.key, typeName: k.typeName, items } as RdbEvent);
  }

  private finishKey(k: KeyState): void {
    const r = this.r;
    if (k.sink) k.sink.finish();
    // Decoders check the threshold per element; this makes it exact for the last one too.
    if (k.small && r.base + r.pos - k.valueStart > this.threshold) this.goBig(k);
    if (!k.small) {
      if (k.typeName === 'module') this.collectRaw(k);
      else this.flushSink(k);
      this.out.push({
        type: 'key-end',
        db: k.db,
        key: k.key,
        typeName: k.typeName,
        count: k.count,
        bytes: r.base + r.pos - k.valueStart,
        stream: k.stream,
      });
      return;
    }
    let value: unknown;
    switch (k.typeName) {
      case 'string':
      case 'module':
        value = k.value;
        break;
      case 'stream': {
        const sv: StreamValue = { ...k.stream!, entries: k.sink!.items };
        value = sv;
        break;
      }
      default:
        value = k.sink!.items;
        if (k.sink!.items.length === 0) {
          // Redis skips empty collections when loading (they cannot exist).
          this.emptyKeysSkipped++;
          k.rawPieces = [];
          return;
        }
    }
    let raw: Buffer;
    const tail = view(r.buf, k.rawFrom - r.base, r.pos);
    if (k.rawPieces.length === 0) raw = tail;
    else {
      k.rawPieces.push(tail);
      raw = Buffer.concat(k.rawPieces);
      k.rawPieces = [];
    }
    // The key meta is spelled out as in goBig(): a shared helper spread here cost ~5% of parse speed.
    this.out.push({
      type: 'key',
      offset: k.offset,
      db: k.db,
      key: k.key,
      typeId: k.typeId,
      typeName: k.typeName,
      encoding: k.encoding,
      expireAt: k.expireAt,
      idle: k.idle,
      freq: k.freq,
      value,
      raw,
    } as RdbEvent);
  }
}

function describeKey(key: Buffer): string {
  const s = key.subarray(0, 64).toString('latin1');
  return JSON.stringify(key.length > 64 ? s + '…' : s);
}

/** Chunks bigger than this are fed in slices so each yielded batch of events stays bounded. */
const MAX_FEED = 64 * 1024;

/**
 * Parse an RDB from an async iterable of Buffers (a file or socket stream), yielding arrays of
 * events. Stop iterating to stop reading: the source's iterator is closed (`return()`), so a
 * Node stream is destroyed. Throws RdbError on any problem. Stops at the end of the RDB; bytes
 * after it are not read further.
 */
export async function* parseRdb(
  source: AsyncIterable<Buffer | Uint8Array | string>,
  options: RdbParserOptions = {},
): AsyncGenerator<RdbEvent[], void, void> {
  const parser = new RdbParser(options);
  for await (const c of source) {
    let chunk = typeof c === 'string' ? Buffer.from(c, 'latin1') : Buffer.isBuffer(c) ? c : Buffer.from(c.buffer, c.byteOffset, c.byteLength);
    while (chunk.length > 0) {
      const slice = chunk.length > MAX_FEED ? chunk.subarray(0, MAX_FEED) : chunk;
      chunk = chunk.subarray(slice.length);
      const events = parser.push(slice);
      if (events.length) yield events;
      if (parser.done) return;
    }
  }
  const tail = parser.end();
  if (tail.length) yield tail;
}

/** Parse an RDB file with a read stream (see parseRdb). */
export function parseRdbFile(
  path: string,
  options: RdbParserOptions & { highWaterMark?: number } = {},
): AsyncGenerator<RdbEvent[], void, void> {
  return parseRdb(fs.createReadStream(path, { highWaterMark: options.highWaterMark ?? 256 * 1024 }), options);
}

/** Parse a whole RDB held in memory (for tests and small files). */
export function parseRdbBuffer(buf: Buffer, options: RdbParserOptions = {}): RdbEvent[] {
  const p = new RdbParser(options);
  const events = [...p.push(buf)];
  events.push(...p.end());
  return events;
}

export type { ModuleValue };
