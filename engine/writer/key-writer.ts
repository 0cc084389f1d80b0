/**
 * Turns the snapshot's keys into writes on the destination.
 *
 * - Strings: `SET` (cheaper than RESTORE, same value).
 * - Other values the destination can load as encoded: `RESTORE … REPLACE ABSTTL`
 *   with a DUMP payload built from the raw RDB bytes and stamped with the
 *   destination's RDB version (no re-encoding; a 7.2+ stream for a 7.0 destination
 *   only loses its consumers' active-time, see stream-downgrade.ts).
 * - Values it cannot load (a newer encoding, hash field TTLs into an older
 *   server, …): rewritten as commands inside MULTI/EXEC, after a DEL.
 * - Big keys (over the parser's threshold): written in batches into a temporary
 *   key in the same hash slot, then RENAMEd into place, so nobody ever reads
 *   half a key.
 *
 * Every write replaces what the destination had: the conflict mode is a check
 * made before the task writes anything.
 */
import { randomBytes } from 'node:crypto';
import { buildDumpPayload, rdbType } from '../rdb';
import type {
  HashEntry, RdbKeyBatchEvent, RdbKeyEndEvent, RdbKeyEvent, RdbKeyStartEvent, RdbMagic, StreamEntry, StreamId, StreamMeta, ZsetEntry,
} from '../rdb/types';
import type { RespArg } from '../resp';
import { loadsModuleType, restoreTypeFor, type DestinationCapabilities } from './capabilities';
import { keySlotAt } from '../cluster/slot';
import { BulkBuilder } from './bulk-builder';
import { streamType21To19 } from './stream-downgrade';
import { moduleTypeError, printable, WriterError } from './errors';
import type { CommandSink } from './types';

export type { CommandSink } from './types';

export interface KeyWriterOptions {
  /** Added to every expire time written (the task's "Extend Expiration Time"). */
  ttlExtendMs?: number;
  /** Elements per rewritten command (RPUSH/SADD/ZADD/HSET). */
  itemsPerCommand?: number;
  /**
   * The destination is a cluster. Strings without expiry are written in MSET batches either
   * way (a snapshot holds each key once, so grouping them changes nothing but the destination's
   * work per key); for a cluster, one batch per hash slot, since MSET cannot cross slots.
   */
  cluster?: boolean;
  now?: () => number;
}

/** An MSET batch is written once it holds this many keys or bytes. */
const MSET_KEYS = 256;
const MSET_BYTES = 256 * 1024;
/** Longer values get a SET of their own rather than a place in a batch. */
const MSET_VALUE_MAX = 64 * 1024;
/** A cluster's per-slot batch is written at this many keys; all are written once they hold this many bytes together. */
const SLOT_MSET_KEYS = 32;
const SLOT_BATCHES_BYTES = 8 * 1024 * 1024;

export interface KeyWriterStats {
  keys: number;
  expiredSkipped: number;
  restored: number;
  rewritten: number;
  bigKeys: number;
}

interface BigKeyState {
  meta: RdbKeyStartEvent;
  temp: Buffer;
  skip: boolean;
  /** A module value: its raw RDB bytes, RESTOREd whole at its end (a module's value has no commands the engine knows). */
  modulePieces?: Buffer[];
  moduleBytes?: number;
  /** The destination DB it is written to. */
  db: number;
}

/** Redis's default proto-max-bulk-len: a RESTORE payload longer than this is refused. */
const MAX_PAYLOAD_BYTES = 512 * 1024 * 1024;

export class KeyWriter {
  private big?: BigKeyState;
  private readonly ttlExtendMs: number;
  private readonly perCommand: number;
  private readonly now: () => number;
  private readonly cluster: boolean;
  /** Strings waiting for their MSET (keys and values), and their DB. */
  private readonly mset = new BulkBuilder();
  private msetDb = 0;
  /** Cluster destination: a batch per hash slot, and the bytes they hold together. */
  private readonly slotBatches = new Map<number, BulkBuilder>();
  private slotBytes = 0;
  readonly stats: KeyWriterStats = { keys: 0, expiredSkipped: 0, restored: 0, rewritten: 0, bigKeys: 0 };

  constructor(private readonly sink: CommandSink, private readonly magic: RdbMagic, opts: KeyWriterOptions = {}) {
    this.ttlExtendMs = opts.ttlExtendMs ?? 0;
    this.perCommand = opts.itemsPerCommand ?? 128;
    this.now = opts.now ?? Date.now;
    this.cluster = opts.cluster ?? false;
  }

  /** Writes the strings still waiting for their MSET (at the end of a snapshot). */
  flush(): Promise<void> | undefined {
    const pending = this.flushMset();
    return pending ? pending.then(() => this.flushSlots()) : this.flushSlots();
  }

  private flushMset(): Promise<void> | undefined {
    const batch = this.mset;
    if (batch.count === 0) return undefined;
    const keys = batch.count / 2;
    this.sink.selectDb(this.msetDb);
    return this.sink.write(['MSET', batch.take()], undefined, keys);
  }

  /** Every per-slot batch, one after another (waiting whenever the writer is full). */
  private flushSlots(): Promise<void> | undefined {
    for (const [slot, batch] of this.slotBatches) {
      const pending = this.flushSlot(slot, batch);
      if (pending) return pending.then(() => this.flushSlots());
    }
    return undefined;
  }

  private flushSlot(slot: number, batch: BulkBuilder): Promise<void> | undefined {
    this.slotBatches.delete(slot);
    this.slotBytes -= batch.bytes;
    const keys = batch.count / 2;
    this.sink.selectDb(this.msetDb);
    return this.sink.write(['MSET', batch.take()], undefined, keys, slot);
  }

  private expireAt(meta: { expireAt: number | undefined }): number | undefined {
    return meta.expireAt === undefined ? undefined : meta.expireAt + this.ttlExtendMs;
  }

  private expired(at: number | undefined): boolean {
    return at !== undefined && at <= this.now();
  }

  /** A whole key. Returns a promise only when the caller must wait (room in the writer, or a rewrite). */
  writeKey(e: RdbKeyEvent, dbOut: number): Promise<void> | undefined {
    const expireAt = this.expireAt(e);
    if (this.expired(expireAt)) {
      this.stats.expiredSkipped++;
      return undefined;
    }
    this.stats.keys++;
    if (e.typeName === 'string' && expireAt === undefined && e.value.length <= MSET_VALUE_MAX) {
      return this.batchString(e.key, 0, e.key.length, e.value, 0, e.value.length, dbOut);
    }
    this.sink.selectDb(dbOut);
    const dest = this.sink.destination;
    if (e.typeName === 'string') {
      if (expireAt !== undefined && !dest.facts.has('setAbsoluteExpiry')) {
        // SET … PXAT is 6.2+: the expiry follows as PEXPIREAT.
        const pending = this.sink.write(['SET', e.key, e.value]);
        const expire = (): Promise<void> | undefined => this.sink.write(['PEXPIREAT', e.key, expireAt]);
        return pending ? pending.then(expire) : expire();
      }
      const argv: RespArg[] = ['SET', e.key, e.value];
      if (expireAt !== undefined) argv.push('PXAT', expireAt);
      return this.sink.write(argv);
    }
    // A module value travels only as its module's own payload: never RESTOREd where that module is not loaded.
    if (e.typeName === 'module' && loadsModuleType(dest, e.value.name) === false) throw moduleTypeError(e.key, e.value.name);
    // Only the hash types with field expiry can hold it: others are not decoded for this (see lazyValues).
    const hasFieldTtl = e.typeName === 'hash' && rdbType(e.typeId, this.magic)?.fieldExpiry === true && e.value.some((entry) => entry.length === 3);
    const restoreAs = restoreTypeFor(dest, e.typeId, this.magic);
    if (restoreAs !== undefined && !(hasFieldTtl && !dest.hashFieldExpiry)) {
      this.stats.restored++;
      const raw = restoreAs === e.typeId ? e.raw : streamType21To19(e.raw);
      const argv: RespArg[] = ['RESTORE', e.key, expireAt ?? 0, buildDumpPayload(restoreAs, raw, dest.rdbVersion), 'REPLACE', 'ABSTTL'];
      if (e.idle !== undefined) argv.push('IDLETIME', e.idle);
      else if (e.freq !== undefined) argv.push('FREQ', e.freq);
      return this.sink.write(argv);
    }
    return this.rewriteKey(e, expireAt);
  }

  /**
   * A snapshot's run of plain strings without expiry (see RdbStringRunEvent), from
   * span `from` on: batched into MSETs straight from the chunk.
   */
  writeStringRun(buf: Buffer, spans: Int32Array, count: number, db: number, from = 0): Promise<void> | undefined {
    for (let i = from; i < count; i++) {
      const j = i * 4;
      const ks = spans[j]!;
      const kl = spans[j + 1]!;
      const vs = spans[j + 2]!;
      const vl = spans[j + 3]!;
      this.stats.keys++;
      let pending: Promise<void> | undefined;
      if (vl > MSET_VALUE_MAX) {
        this.sink.selectDb(db);
        pending = this.sink.write(['SET', buf.subarray(ks, ks + kl), buf.subarray(vs, vs + vl)]);
      } else {
        pending = this.batchString(buf, ks, kl, buf, vs, vl, db);
      }
      // The writer is full: wait before the next key, whose MSET may need another SELECT.
      if (pending) return pending.then(() => this.writeStringRun(buf, spans, count, db, i + 1));
    }
    return undefined;
  }

  private batchString(ksrc: Buffer, ks: number, kl: number, vsrc: Buffer, vs: number, vl: number, db: number): Promise<void> | undefined {
    if (this.cluster) return this.batchInSlot(ksrc, ks, kl, vsrc, vs, vl, db);
    const batch = this.mset;
    if (batch.count > 0 && this.msetDb !== db) {
      const pending = this.flushMset();
      if (pending) return pending.then(() => this.batchString(ksrc, ks, kl, vsrc, vs, vl, db));
    }
    this.msetDb = db;
    batch.span(ksrc, ks, kl).span(vsrc, vs, vl);
    return batch.count >= MSET_KEYS * 2 || batch.bytes >= MSET_BYTES ? this.flushMset() : undefined;
  }

  /** A cluster has one DB (0): the batches only differ by slot. */
  private batchInSlot(ksrc: Buffer, ks: number, kl: number, vsrc: Buffer, vs: number, vl: number, db: number): Promise<void> | undefined {
    this.msetDb = db;
    const slot = keySlotAt(ksrc, ks, ks + kl);
    let batch = this.slotBatches.get(slot);
    if (!batch) {
      batch = new BulkBuilder(512);
      this.slotBatches.set(slot, batch);
    }
    const before = batch.bytes;
    batch.span(ksrc, ks, kl).span(vsrc, vs, vl);
    this.slotBytes += batch.bytes - before;
    if (batch.count >= SLOT_MSET_KEYS * 2) return this.flushSlot(slot, batch);
    return this.slotBytes >= SLOT_BATCHES_BYTES ? this.flushSlots() : undefined;
  }

  /** A value the destination cannot RESTORE: DEL then commands, in one MULTI/EXEC. */
  private async rewriteKey(e: RdbKeyEvent, expireAt: number | undefined): Promise<void> {
    if (e.typeName === 'module') {
      throw moduleTypeError(e.key, e.value.name, `which the destination cannot load in the source's format (${this.magic} RDB, a version it does not read)`);
    }
    this.stats.rewritten++;
    await this.sink.write(['MULTI']);
    await this.sink.write(['DEL', e.key]);
    switch (e.typeName) {
      case 'list': await this.items('RPUSH', e.key, e.value); break;
      case 'set': await this.items('SADD', e.key, e.value); break;
      case 'zset': await this.zadd(e.key, e.value); break;
      case 'hash': await this.hset(e.key, e.value); break;
      case 'stream':
        await this.xadd(e.key, e.value.entries);
        await this.streamMeta(e.key, e.value, e.value.entries.length > 0);
        break;
    }
    if (expireAt !== undefined) await this.sink.write(['PEXPIREAT', e.key, expireAt]);
    await this.sink.write(['EXEC']);
  }

  async startBigKey(e: RdbKeyStartEvent, dbOut: number): Promise<void> {
    const skip = this.expired(this.expireAt(e));
    this.big = { meta: e, temp: tempKeyFor(e.key), skip, db: dbOut };
    if (skip) {
      this.stats.expiredSkipped++;
      return;
    }
    if (e.typeName === 'module') {
      const name = e.module?.name ?? 'unknown';
      const dest = this.sink.destination;
      if (loadsModuleType(dest, name) === false) throw moduleTypeError(e.key, name);
      if (restoreTypeFor(dest, e.typeId, this.magic) === undefined) {
        throw moduleTypeError(e.key, name, `which the destination cannot load in the source's format (${this.magic} RDB, a version it does not read)`);
      }
      this.big.modulePieces = [];
      this.big.moduleBytes = 0;
      this.stats.keys++;
      this.stats.bigKeys++;
      return;
    }
    this.stats.keys++;
    this.stats.bigKeys++;
    this.sink.selectDb(dbOut);
    await this.sink.write(['DEL', this.big.temp]);
  }

  private streamHasEntries = false;

  async bigKeyBatch(e: RdbKeyBatchEvent): Promise<void> {
    const big = this.big;
    if (!big || big.skip) return;
    const t = big.temp;
    switch (e.typeName) {
      case 'string':
        for (const piece of e.items) await this.sink.write(['APPEND', t, piece]);
        break;
      case 'list': await this.items('RPUSH', t, e.items); break;
      case 'set': await this.items('SADD', t, e.items); break;
      case 'zset': await this.zadd(t, e.items); break;
      case 'hash': await this.hset(t, e.items); break;
      case 'stream':
        if (e.items.length > 0) this.streamHasEntries = true;
        await this.xadd(t, e.items);
        break;
      case 'module':
        for (const piece of e.items) {
          big.moduleBytes! += piece.length;
          if (big.moduleBytes! > MAX_PAYLOAD_BYTES) {
            throw new WriterError('MODULE_TYPE', `key "${printable(big.meta.key)}" holds a ${big.meta.module?.name ?? 'module'} value of more than ${MAX_PAYLOAD_BYTES / 1024 / 1024} MB, which no RESTORE takes`,
              'leave this key out with a key filter and copy it with the module\'s own commands');
          }
          big.modulePieces!.push(Buffer.from(piece)); // a copy: the piece is a view of the parser's chunk
        }
        break;
    }
  }

  async endBigKey(e: RdbKeyEndEvent): Promise<void> {
    const big = this.big;
    this.big = undefined;
    const hadEntries = this.streamHasEntries;
    this.streamHasEntries = false;
    if (!big || big.skip) return;
    if (big.modulePieces) {
      // Written whole, under its own name: a RESTORE replaces the key in one step, so nobody reads half of it.
      this.stats.restored++;
      const dest = this.sink.destination;
      this.sink.selectDb(big.db);
      const argv: RespArg[] = ['RESTORE', big.meta.key, this.expireAt(big.meta) ?? 0,
        buildDumpPayload(big.meta.typeId, Buffer.concat(big.modulePieces), dest.rdbVersion), 'REPLACE', 'ABSTTL'];
      if (big.meta.idle !== undefined) argv.push('IDLETIME', big.meta.idle);
      else if (big.meta.freq !== undefined) argv.push('FREQ', big.meta.freq);
      await this.sink.write(argv);
      return;
    }
    if (e.typeName === 'stream' && e.stream) await this.streamMeta(big.temp, e.stream, hadEntries);
    const expireAt = this.expireAt(big.meta);
    if (expireAt !== undefined) await this.sink.write(['PEXPIREAT', big.temp, expireAt]);
    await this.sink.write(['RENAME', big.temp, big.meta.key]);
  }

  private async items(cmd: string, key: Buffer, items: Buffer[]): Promise<void> {
    for (let i = 0; i < items.length; i += this.perCommand) {
      await this.sink.write([cmd, key, ...items.slice(i, i + this.perCommand)]);
    }
  }

  private async zadd(key: Buffer, entries: ZsetEntry[]): Promise<void> {
    for (let i = 0; i < entries.length; i += this.perCommand) {
      const argv: RespArg[] = ['ZADD', key];
      for (const [member, score] of entries.slice(i, i + this.perCommand)) argv.push(formatScore(score), member);
      await this.sink.write(argv);
    }
  }

  private async hset(key: Buffer, entries: HashEntry[]): Promise<void> {
    const now = this.now();
    const live = entries.filter((entry) => entry.length === 2 || entry[2] > now);
    for (let i = 0; i < live.length; i += this.perCommand) {
      const argv: RespArg[] = ['HSET', key];
      for (const [field, value] of live.slice(i, i + this.perCommand)) argv.push(field, value);
      await this.sink.write(argv);
    }
    const withTtl = live.filter((entry): entry is [Buffer, Buffer, number] => entry.length === 3);
    if (withTtl.length === 0) return;
    if (!this.sink.destination.hashFieldExpiry) throw fieldTtlError(this.big?.meta.key ?? key);
    for (const [field, , at] of withTtl) await this.sink.write(['HPEXPIREAT', key, at, 'FIELDS', 1, field]);
  }

  private async xadd(key: Buffer, entries: StreamEntry[]): Promise<void> {
    for (const entry of entries) await this.sink.write(['XADD', key, formatId(entry.id), ...entry.fields]);
  }

  /** Length, ids and consumer groups, the way Redis's own AOF rewrite restores them. */
  private async streamMeta(key: Buffer, meta: StreamMeta, hadEntries: boolean): Promise<void> {
    const modern = this.sink.destination.streamMetadata;
    if (!hadEntries) await this.sink.write(['XADD', key, 'MAXLEN', 0, '0-1', 'x', 'y']);
    const setid: RespArg[] = ['XSETID', key, formatId(meta.lastId)];
    if (modern && meta.entriesAdded !== undefined) {
      setid.push('ENTRIESADDED', meta.entriesAdded, 'MAXDELETEDID', formatId(meta.maxDeletedId ?? { ms: 0n, seq: 0n }));
    }
    await this.sink.write(setid);
    for (const group of meta.groups) {
      const create: RespArg[] = ['XGROUP', 'CREATE', key, group.name, formatId(group.lastId)];
      if (modern && group.entriesRead !== undefined) create.push('ENTRIESREAD', group.entriesRead);
      await this.sink.write(create);
      const owner = new Map<string, Buffer>();
      for (const c of group.consumers) for (const id of c.pel) owner.set(formatId(id), c.name);
      for (const p of group.pel) {
        const id = formatId(p.id);
        const consumer = owner.get(id);
        if (!consumer) continue; // a PEL entry without an owner cannot exist in a valid stream
        await this.sink.write(['XCLAIM', key, group.name, consumer, 0, id, 'TIME', p.deliveryTime,
          'RETRYCOUNT', p.deliveryCount, 'JUSTID', 'FORCE']);
      }
      for (const c of group.consumers) {
        if (c.pel.length === 0 && modern) await this.sink.write(['XGROUP', 'CREATECONSUMER', key, group.name, c.name]);
      }
    }
  }
}

/**
 * Why a whole key cannot be written to this destination at all (checked before a
 * restore from a file writes anything), or undefined.
 */
export function unwritableKey(e: RdbKeyEvent, dest: DestinationCapabilities, now = Date.now()): WriterError | undefined {
  if (e.expireAt !== undefined && e.expireAt <= now) return undefined;
  if (e.typeName === 'hash' && !dest.hashFieldExpiry && e.value.some((f) => f.length === 3 && f[2] > now)) return fieldTtlError(e.key);
  if (e.typeName === 'module' && loadsModuleType(dest, e.value.name) === false) return moduleTypeError(e.key, e.value.name);
  return undefined;
}

function fieldTtlError(key: Buffer): WriterError {
  return new WriterError('HASH_FIELD_TTL', `hash "${printable(key)}" has fields with their own expiry, which the destination cannot store`,
    'use a destination running Redis 7.4+ or Valkey 9+');
}

export function formatId(id: StreamId): string {
  return `${id.ms}-${id.seq}`;
}

/** Scores as Redis reads them back exactly: shortest round-trip decimal, inf, -inf, and -0 kept. */
export function formatScore(score: number): string {
  if (score === Infinity) return 'inf';
  if (score === -Infinity) return '-inf';
  if (Object.is(score, -0)) return '-0';
  return String(score);
}

/**
 * A temporary key in the same cluster hash slot as `key`: it carries the key's
 * hash tag (or the whole key as one), so the final RENAME is single-slot.
 */
export function tempKeyFor(key: Buffer): Buffer {
  const open = key.indexOf(0x7b); // {
  let hashPart = key;
  if (open >= 0) {
    const close = key.indexOf(0x7d, open + 1); // }
    if (close > open + 1) hashPart = key.subarray(open + 1, close);
  }
  const suffix = Buffer.from(`dts-tmp-${randomBytes(6).toString('hex')}`);
  if (hashPart.includes(0x7d)) {
    // Cannot be wrapped in a tag; only matters on a cluster destination, where the
    // writer routes by slot and RENAME would be cross-slot. Keep the key's own bytes first.
    return Buffer.concat([key, Buffer.from(':'), suffix]);
  }
  return Buffer.concat([Buffer.from('{'), hashPart, Buffer.from('}'), suffix]);
}
