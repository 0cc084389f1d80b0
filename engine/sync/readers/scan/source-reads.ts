/**
 * The scan reader's reads of the source: SCAN cursors per DB, and each key's value and
 * absolute expiry read in one atomic step — a Lua script doing `DUMP` and `PEXPIRETIME`
 * for a batch of keys where the source allows scripts (one command a batch instead of
 * five a key), else `MULTI`, `DUMP`, `PEXPIRETIME`, `EXEC` per key (before Redis 7.0:
 * `PTTL` and `TIME`, the expiry then being the server's clock plus the TTL) — pipelined
 * over several connections, at most the task's rate of keys per second, so a scan cannot
 * take the source down.
 *
 * During the full migration a key's size is asked first (`MEMORY USAGE`, inside the
 * script where there is one): a key over the big-key threshold is not DUMPed but marked
 * `big`, and read later in windows with its type's own commands (big-keys.ts). Where the
 * task follows keyspace notifications (subscribed before the scan), a read need not be
 * atomic: a write between a key's DUMP and its PEXPIRETIME emits an event, and the key is
 * read again from the change queue. So the MULTI/EXEC path drops MULTI then, and a DB
 * that held no volatile key when the scan began (INFO keyspace `expires=0`, read after
 * subscribing) is read without PEXPIRETIME: a TTL set later arrives as an `expire` event.
 */
import type { RedisEndpoint } from '../../../endpoint';
import { endpointAddress } from '../../../endpoint';
import { RespErrorReply, type RespValue } from '../../../resp';
import { PipelinedConnection } from '../../../writer/connection';
import { RateLimiter } from '../../../writer/rate-limiter';
import { SyncError } from '../../errors';
import type { RdbEvent } from '../../../rdb/types';
import { parseRdbBuffer } from '../../../rdb';
import { EncodedArgs, type RespArg } from '../../../resp';
import { arrayHeader, bulkSpans, rawError } from '../../../resp/raw';
import type { BigKeySource } from './big-keys';
import { keyRecords, magicOfVersion, payloadVersion, rdbEof, rdbHeader, selectDbRecord, stringRecords, type KeyRead } from './dump-rdb';

export interface SourceReadsOptions {
  source: RedisEndpoint;
  /** Connections reading keys (default 4). */
  connections?: number;
  /** The source has PEXPIRETIME (Redis 7.0+, Valkey): otherwise PTTL + TIME. */
  expireTime: boolean;
  /** A cluster node: a script's keys must share one slot, so each key is read in its own MULTI/EXEC. */
  cluster?: boolean;
  /** Keys per second read at most (0: unlimited); asked before each batch, so a new limit applies at once. */
  keysPerSecond: () => number;
  replyTimeoutMs?: number;
  /** The big-key threshold in bytes (the snapshot parser's): keys over it, by MEMORY USAGE, are read in windows. */
  bigKeyBytes: number;
  /** The source has hash fields with their own expiry (HPEXPIRETIME). */
  fieldTtl?: boolean;
}

/** How a batch of keys is read. */
export interface ReadHow {
  /** Ask each key's size first and mark those over the big-key threshold instead of DUMPing them (the full migration). */
  big?: boolean;
  /** Read the absolute expiry (default true); false only for a DB without volatile keys while notifications are followed. */
  expiry?: boolean;
  /** Value and expiry read atomically (default true); false only while notifications are followed. */
  atomic?: boolean;
  /** Plain strings read by MGET and handed over as `value` (the full migration; its loader frames them). */
  strings?: boolean;
}

/**
 * Keys of a SCAN reply kept as its raw bytes: for key i, `spans[i*3]` where its `$` header
 * starts in `raw`, `spans[i*3+1]` where its bytes start, `spans[i*3+2]` their length.
 */
export interface ScanKeys {
  raw: Buffer;
  spans: Int32Array;
  count: number;
}

/** A batch read: plain strings already framed as RDB records (`records`), the other keys as reads. */
export interface KeyBatch {
  records?: Buffer;
  reads: KeyRead[];
}

interface Reader {
  conn: PipelinedConnection<null>;
  db: number;
  /** The last error a queued command met (the reason of an EXECABORT). */
  queueError?: RespErrorReply;
}

/**
 * Every key given read atomically (a script runs whole): three replies per key, the value,
 * its absolute expiry (PEXPIRETIME; -1 when ARGV[2] is '0', a DB without volatile keys
 * while notifications are followed) and what the value is: 0 a DUMP payload (nil: the key
 * is gone), 1 a plain string's value (ARGV[3] '1': strings by one MGET of the batch, much
 * cheaper on the source than a DUMP each), 2 a key over the big-key threshold ARGV[1]
 * (MEMORY USAGE, or a string's length; 0: none), neither DUMPed nor returned.
 */
const READ_SCRIPT = `local out = {}
local limit = tonumber(ARGV[1])
local expiry = ARGV[2] ~= '0'
local values = ARGV[3] == '1' and redis.call('MGET', unpack(KEYS)) or {}
for i = 1, #KEYS do
  local k = KEYS[i]
  local v = values[i]
  local kind = 0
  if v then
    kind = (limit > 0 and #v > limit) and 2 or 1
  else
    local m = limit > 0 and redis.call('MEMORY', 'USAGE', k)
    if m and m > limit then kind = 2 else v = redis.call('DUMP', k) end
  end
  if kind == 2 then v = false end
  out[#out + 1] = v
  out[#out + 1] = (expiry and kind ~= 2) and redis.call('PEXPIRETIME', k) or -1
  out[#out + 1] = kind
end
return out`;

/** Keys asked per SCAN call. */
export const SCAN_COUNT = 1000;

export class SourceReads {
  private readers: Reader[] = [];
  private scanner?: Reader;
  private next = 0;
  private readonly limiter = new RateLimiter(0);
  private limit = 0;
  /** The read script's SHA1, when the source runs it; else keys are read in MULTI/EXEC. */
  private script?: string;
  /** How keys are read, for the task's log. */
  how = '';
  /** MEMORY USAGE is allowed: big keys can be found before they are DUMPed. */
  private sizes = false;

  constructor(private readonly opts: SourceReadsOptions) {}

  async open(): Promise<void> {
    const n = Math.max(1, this.opts.connections ?? 4);
    for (let i = 0; i <= n; i++) {
      const reader: Reader = { conn: undefined as unknown as PipelinedConnection<null>, db: 0 };
      reader.conn = new PipelinedConnection<null>(this.opts.source, (reply) => {
        if (reply instanceof RespErrorReply) reader.queueError = reply;
      }, () => undefined, { role: 'source', replyTimeoutMs: this.opts.replyTimeoutMs, maxInFlight: 8192 });
      await reader.conn.open();
      if (i === 0) this.scanner = reader;
      else this.readers.push(reader);
    }
    await this.loadScript();
    const probe = await this.scanner!.conn.call(['MEMORY', 'USAGE', `DTS_REDIS_SCAN_PROBE_${Date.now()}`]);
    this.sizes = probe === null;
    this.how += this.sizes ? `; keys over ${this.opts.bigKeyBytes} bytes (MEMORY USAGE) in windows of their type's own commands`
      : `; MEMORY USAGE refused (${probe instanceof RespErrorReply ? probe.message : 'unexpected reply'}), so every key is read with one DUMP however big`;
  }

  /** The read script where the source has PEXPIRETIME and allows scripts (tried on a key that does not exist). */
  private async loadScript(): Promise<void> {
    const expiry = this.opts.expireTime ? 'PEXPIRETIME' : 'PTTL and TIME';
    const multi = `DUMP and ${expiry} per key in MULTI/EXEC`;
    if (!this.opts.expireTime || this.opts.cluster) {
      this.how = this.opts.cluster ? `${multi} (a cluster node: a script's keys would have to share a slot)` : multi;
      return;
    }
    const s = this.scanner!;
    const sha = await s.conn.call(['SCRIPT', 'LOAD', READ_SCRIPT]);
    if (sha instanceof RespErrorReply || !Buffer.isBuffer(sha) && typeof sha !== 'string') {
      this.how = `${multi} (SCRIPT LOAD refused: ${String(sha)})`;
      return;
    }
    const probe = await s.conn.call(['EVALSHA', String(sha), 1, `DTS_REDIS_SCAN_PROBE_${Date.now()}`, 0, 1, 1]);
    if (!Array.isArray(probe) || probe.length !== 3 || probe[0] !== null) {
      this.how = `${multi} (the read script was refused: ${probe instanceof RespErrorReply ? probe.message : 'unexpected reply'})`;
      return;
    }
    this.script = String(sha);
    this.how = 'DUMP and PEXPIRETIME per batch of keys in one Lua script (strings by MGET in it during the full migration)';
  }

  close(): void {
    this.scanner?.conn.close();
    for (const r of this.readers) r.conn.close();
    this.readers = [];
    this.scanner = undefined;
  }

  /** One SCAN step of `db`: the next cursor ('0' at the end) and the keys it returned. */
  async scan(db: number, cursor: string, count = SCAN_COUNT): Promise<{ cursor: string; keys: Buffer[] }> {
    const s = this.scanner;
    if (!s) throw new Error('SourceReads is not open');
    this.select(s, db);
    const reply = await s.conn.call(['SCAN', cursor, 'COUNT', count]);
    if (reply instanceof RespErrorReply) throw this.refused('SCAN', reply);
    if (!Array.isArray(reply) || !Array.isArray(reply[1])) throw new SyncError('SCAN_REPLY', `the source ${this.address} answered SCAN with something else than a cursor and keys`);
    return { cursor: String(reply[0]), keys: (reply[1] as RespValue[]).filter((k): k is Buffer => Buffer.isBuffer(k)) };
  }

  /** One SCAN step of `db` with its keys left in the reply's bytes (ScanKeys). */
  async scanRaw(db: number, cursor: string, count = SCAN_COUNT): Promise<{ cursor: string; keys: ScanKeys }> {
    const s = this.scanner;
    if (!s) throw new Error('SourceReads is not open');
    this.select(s, db);
    const raw = await s.conn.callRaw(['SCAN', cursor, 'COUNT', count]);
    const error = rawError(raw);
    if (error) throw this.refused('SCAN', error);
    const [parts, at] = arrayHeader(raw, 0);
    if (parts !== 2 || raw[at] !== 0x24) throw new SyncError('SCAN_REPLY', `the source ${this.address} answered SCAN with something else than a cursor and keys`);
    const head = new Int32Array(3);
    const keysAt = bulkSpans(raw, at, 1, head);
    const [n, first] = arrayHeader(raw, keysAt);
    const spans = new Int32Array(Math.max(0, n) * 3);
    if (n > 0) bulkSpans(raw, first, n, spans);
    return { cursor: raw.toString('latin1', head[1]!, head[1]! + head[2]!), keys: { raw, spans, count: Math.max(0, n) } };
  }

  /** Whether `how` reads by `readRaw` (ScanKeys, strings framed from MGET's raw reply): while following, no expiry to read, not a cluster node. */
  readsRaw(how: ReadHow): boolean {
    return how.strings === true && how.atomic === false && how.expiry === false && !this.opts.cluster;
  }

  /**
   * `read` for ScanKeys (only where `readsRaw(how)`): one MGET whose arguments are the SCAN
   * reply's own bulk strings (the same encoding), its reply's values framed as RDB string records
   * without a Buffer per key or value; the keys MGET found no string for read as `read` does.
   */
  async readRaw(db: number, keys: ScanKeys, how: ReadHow): Promise<KeyBatch> {
    const n = keys.count;
    await this.throttle(n);
    const r = this.readers[this.next++ % this.readers.length];
    if (!r) throw new Error('SourceReads is not open');
    if (r.conn.full) await r.conn.waitForRoom();
    this.select(r, db);
    const limit = how.big && this.sizes ? this.opts.bigKeyBytes : 0;
    const raw = await r.conn.callRaw(['MGET', encodedKeys(keys)]);
    const error = rawError(raw);
    if (error) throw this.refused('MGET', error);
    const [count, first] = arrayHeader(raw, 0);
    if (count !== n) throw new SyncError('SCAN_REPLY', `the source ${this.address} answered MGET with something else than a value per key`);
    const values = new Int32Array(n * 3);
    bulkSpans(raw, first, n, values);
    const { raw: kraw, spans } = keys;
    const rest: Buffer[] = [];
    const big: KeyRead[] = [];
    for (let i = 0; i < n; i++) {
      const vl = values[i * 3 + 2]!;
      if (vl >= 0 && (limit === 0 || vl <= limit)) continue;
      const key = Buffer.from(kraw.subarray(spans[i * 3 + 1]!, spans[i * 3 + 1]! + spans[i * 3 + 2]!));
      // Over the threshold: already read, but written in pieces on the destination, like the other big keys.
      if (vl >= 0) big.push({ key, payload: null, expireAt: undefined, big: true });
      else rest.push(key);
    }
    const others = rest.length > 0 ? this.readSome(r, rest, limit, false, false) : Promise.resolve([]);
    others.catch(() => undefined); // awaited below; a failure meanwhile must not go unhandled
    const records = stringRecords(kraw, spans, raw, values, n, limit);
    const reads = await others;
    return { records, reads: big.length > 0 ? [...big, ...reads] : reads };
  }

  /**
   * The source's functions as FUNCTION DUMP gives them (RDB function records, then the
   * version and CRC trailer of a DUMP payload), or null: none, or a source without functions.
   */
  async functions(): Promise<Buffer | null> {
    const s = this.scanner;
    if (!s) throw new Error('SourceReads is not open');
    const reply = await s.conn.call(['FUNCTION', 'DUMP']);
    return Buffer.isBuffer(reply) && reply.length > 10 ? Buffer.from(reply) : null;
  }

  /** Volatile keys per DB by INFO keyspace (`expires=`); undefined where INFO is refused. */
  async volatileKeys(): Promise<Map<number, number> | undefined> {
    const s = this.scanner;
    if (!s) throw new Error('SourceReads is not open');
    const reply = await s.conn.call(['INFO', 'keyspace']);
    if (reply instanceof RespErrorReply) return undefined;
    const out = new Map<number, number>();
    for (const m of String(reply).matchAll(/^db(\d+):keys=\d+,expires=(\d+)/gm)) out.set(Number(m[1]), Number(m[2]));
    return out;
  }

  /** Keys that exist in `db` among `keys` (one EXISTS each, pipelined). */
  async existing(db: number, keys: Buffer[]): Promise<boolean[]> {
    const s = this.scanner;
    if (!s) throw new Error('SourceReads is not open');
    this.select(s, db);
    const replies = await Promise.all(keys.map((k) => s.conn.call(['EXISTS', k])));
    return replies.map((r) => {
      if (r instanceof RespErrorReply) throw this.refused('EXISTS', r);
      return r === 1;
    });
  }

  /** `keys` of `db`, each read atomically (value and expiry) unless `how` says otherwise, in order. */
  async read(db: number, keys: Buffer[], how: ReadHow = {}): Promise<KeyRead[]> {
    await this.throttle(keys.length);
    const r = this.readers[this.next++ % this.readers.length];
    if (!r) throw new Error('SourceReads is not open');
    if (r.conn.full) await r.conn.waitForRoom();
    this.select(r, db);
    const limit = how.big && this.sizes ? this.opts.bigKeyBytes : 0;
    const expiry = how.expiry !== false;
    // The full migration's strings by one MGET per batch (a cluster node refuses one across slots): not atomic (only
    // while notifications are followed) before the other keys' reads, which costs the source least (measured: about
    // 40 % less than MGET inside the script, whose Lua copies each value twice); else inside the read script.
    const strings = how.strings === true && !this.opts.cluster;
    if (strings && how.atomic === false) return this.readStringsFirst(r, keys, limit, expiry);
    return this.readSome(r, keys, limit, expiry, how.atomic !== false, strings);
  }

  private readSome(r: Reader, keys: Buffer[], limit: number, expiry: boolean, atomic: boolean, strings = false): Promise<KeyRead[]> {
    if (this.script) return this.readScripted(r, keys, limit, expiry, strings);
    return this.readCommands(r, keys, limit, expiry, atomic);
  }

  /**
   * Plain strings by one MGET of the batch (cheaper on the source than a DUMP each: no
   * serialisation, no CRC), with PEXPIRETIME each where the DB has volatile keys; the keys
   * MGET found no string for (other types, or gone) read by DUMP. Strings are read whole,
   * however long. Only while notifications are followed: not atomic.
   */
  private async readStringsFirst(r: Reader, keys: Buffer[], limit: number, expiry: boolean): Promise<KeyRead[]> {
    const values = await r.conn.call(['MGET', ...keys]);
    if (values instanceof RespErrorReply) throw this.refused('MGET', values);
    if (!Array.isArray(values) || values.length !== keys.length) throw new SyncError('SCAN_REPLY', `the source ${this.address} answered MGET with something else than a value per key`);
    const out: KeyRead[] = new Array(keys.length);
    const rest: Buffer[] = [];
    const restAt: number[] = [];
    const ttls: Promise<RespValue>[] = [];
    const ttlAt: number[] = [];
    for (let i = 0; i < keys.length; i++) {
      const v = values[i];
      if (Buffer.isBuffer(v) && limit > 0 && v.length > limit) {
        // Already read, but written in pieces on the destination, like the other big keys.
        out[i] = { key: keys[i]!, payload: null, expireAt: undefined, big: true };
      } else if (Buffer.isBuffer(v)) {
        // Views of the socket's chunks (the parser never reuses one): keyRecords copies them into the batch's records.
        out[i] = { key: keys[i]!, payload: null, expireAt: undefined, value: v };
        if (expiry) {
          ttls.push(this.opts.expireTime ? r.conn.call(['PEXPIRETIME', keys[i]!]) : this.pttlAt(r, keys[i]!));
          ttlAt.push(i);
        }
      } else {
        rest.push(keys[i]!);
        restAt.push(i);
      }
    }
    const others = rest.length > 0 ? this.readSome(r, rest, limit, expiry, false) : Promise.resolve([]);
    others.catch(() => undefined); // awaited below; a failure meanwhile must not go unhandled
    if (expiry) {
      const got = await Promise.all(ttls);
      for (let j = 0; j < got.length; j++) {
        const read = out[ttlAt[j]!]!;
        const t = got[j]!;
        if (t instanceof RespErrorReply) throw this.refused('PEXPIRETIME', t);
        // -2 (gone since the MGET) is no expiry: the delete was a write, whose event deletes it on the destination.
        const at = Number(t);
        read.expireAt = at >= 0 ? at : undefined;
      }
    }
    const read = await others;
    for (let j = 0; j < read.length; j++) out[restAt[j]!] = read[j]!;
    return out;
  }

  /** PTTL and TIME (before 7.0) as the absolute expiry, Unix ms (-1 in ms: none). */
  private async pttlAt(r: Reader, key: Buffer): Promise<RespValue> {
    const [ttl, time] = await Promise.all([r.conn.call(['PTTL', key]), r.conn.call(['TIME'])]);
    if (ttl instanceof RespErrorReply) return ttl;
    const t = Number(ttl);
    if (t < 0 || !Array.isArray(time)) return -1;
    return Number(String(time[0])) * 1000 + Math.floor(Number(String(time[1])) / 1000) + t;
  }

  /** Per key: MULTI/EXEC (atomic) or plain pipelined DUMP and expiry; sizes asked first for the full migration. */
  private async readCommands(r: Reader, keys: Buffer[], limit: number, expiry: boolean, atomic: boolean): Promise<KeyRead[]> {
    // Sizes first (not atomic with the read: a size is a choice of how to read, not part of the value).
    const big = limit > 0 ? await Promise.all(keys.map((k) => r.conn.call(['MEMORY', 'USAGE', k]))) : undefined;
    return Promise.all(keys.map((k, i) => {
      if (big && Number(big[i]) > limit) return { key: Buffer.from(k), payload: null, expireAt: undefined, big: true };
      return atomic ? this.readOne(r, k) : this.readPlain(r, k, expiry);
    }));
  }

  private async readScripted(r: Reader, keys: Buffer[], limit: number, expiry: boolean, strings: boolean): Promise<KeyRead[]> {
    const argv: RespArg[] = [keys.length, ...keys, limit, expiry ? 1 : 0, strings ? 1 : 0];
    let reply = await r.conn.call(['EVALSHA', this.script!, ...argv]);
    // The script cache was flushed (SCRIPT FLUSH, a restart): the script itself, which loads it again.
    if (reply instanceof RespErrorReply && reply.code === 'NOSCRIPT') reply = await r.conn.call(['EVAL', READ_SCRIPT, ...argv]);
    if (reply instanceof RespErrorReply) throw this.refused('the read script (DUMP, PEXPIRETIME)', reply);
    if (!Array.isArray(reply) || reply.length !== keys.length * 3) {
      throw new SyncError('SCAN_REPLY', `the source ${this.address} answered the read script with something else than a value, an expiry and a kind per key`);
    }
    const values = reply;
    // The parser's Buffers are views of its chunks, never reused: keyRecords copies what it keeps.
    return keys.map((key, i) => {
      const v = values[i * 3];
      const t = Number(values[i * 3 + 1]);
      const kind = Number(values[i * 3 + 2]);
      if (kind === 2) return { key, payload: null, expireAt: undefined, big: true };
      if (!Buffer.isBuffer(v)) return { key, payload: null, expireAt: undefined };
      const expireAt = t >= 0 ? t : undefined;
      return kind === 1 ? { key, payload: null, expireAt, value: v } : { key, payload: v, expireAt };
    });
  }

  private readOne(r: Reader, key: Buffer): Promise<KeyRead> {
    const { conn } = r;
    conn.send(['MULTI'], null);
    conn.send(['DUMP', key], null);
    if (this.opts.expireTime) {
      conn.send(['PEXPIRETIME', key], null);
    } else {
      conn.send(['PTTL', key], null);
      conn.send(['TIME'], null);
    }
    return conn.call(['EXEC']).then((reply) => this.keyRead(r, key, reply));
  }

  /** DUMP and the expiry pipelined without MULTI (only while notifications are followed: a write in between is read again). */
  private readPlain(r: Reader, key: Buffer, expiry: boolean): Promise<KeyRead> {
    const { conn } = r;
    const parts = [conn.call(['DUMP', key])];
    if (expiry && this.opts.expireTime) parts.push(conn.call(['PEXPIRETIME', key]));
    else if (expiry) parts.push(conn.call(['PTTL', key]), conn.call(['TIME']));
    else parts.push(Promise.resolve(-1));
    return Promise.all(parts).then((reply) => this.keyRead(r, key, reply));
  }

  private keyRead(r: Reader, key: Buffer, reply: RespValue): KeyRead {
    if (reply instanceof RespErrorReply || !Array.isArray(reply)) {
      const why = r.queueError ?? (reply instanceof RespErrorReply ? reply : new RespErrorReply(`unexpected reply ${String(reply)}`));
      throw this.refused(this.opts.expireTime ? 'DUMP / PEXPIRETIME' : 'DUMP / PTTL', why);
    }
    const [dump, ttl, time] = reply;
    for (const part of reply) if (part instanceof RespErrorReply) throw this.refused('DUMP', part);
    if (!Buffer.isBuffer(dump)) return { key, payload: null, expireAt: undefined };
    // Keep the payload apart from the socket's chunk (the parser's Buffers are views into it).
    return { key: Buffer.from(key), payload: Buffer.from(dump), expireAt: this.expiryOf(ttl!, time) };
  }

  /** PEXPIRETIME's reply, or PTTL's with TIME's (before 7.0), as Unix ms (undefined: no expiry). */
  private expiryOf(ttl: RespValue, time: RespValue | undefined): number | undefined {
    const t = Number(ttl);
    if (t < 0) return undefined;
    if (this.opts.expireTime) return t;
    // The server's own clock: the expiry is where it stood inside the transaction.
    if (Array.isArray(time)) return Number(String(time[0])) * 1000 + Math.floor(Number(String(time[1])) / 1000) + t;
    return undefined;
  }

  /** The source side of a big key's windowed read (big-keys.ts), on the scanning connection. */
  bigKeySource(): BigKeySource {
    const s = this.scanner;
    if (!s) throw new Error('SourceReads is not open');
    const call = async (db: number, argv: RespArg[]): Promise<RespValue> => {
      this.select(s, db);
      const reply = await s.conn.call(argv);
      if (reply instanceof RespErrorReply) throw this.refused(String(argv[0]), reply);
      return reply;
    };
    return {
      call,
      fieldTtl: this.opts.fieldTtl ?? false,
      throttle: () => this.throttle(1),
      head: async (db, key) => {
        this.select(s, db);
        s.conn.send(['MULTI'], null);
        s.conn.send(['TYPE', key], null);
        if (this.opts.expireTime) s.conn.send(['PEXPIRETIME', key], null);
        else {
          s.conn.send(['PTTL', key], null);
          s.conn.send(['TIME'], null);
        }
        const reply = await s.conn.call(['EXEC']);
        if (!Array.isArray(reply)) throw this.refused('TYPE / PEXPIRETIME', reply instanceof RespErrorReply ? reply : s.queueError ?? new RespErrorReply('no reply'));
        const type = String(reply[0]);
        if (type === 'none') return undefined;
        return { type, expireAt: this.expiryOf(reply[1]!, reply[2]) };
      },
      whole: (db, key) => this.whole(s, db, key),
    };
  }

  /** One key DUMPed, as the parser's events (a type without windows: a module's). */
  private async *whole(s: Reader, db: number, key: Buffer): AsyncGenerator<RdbEvent> {
    this.select(s, db);
    const read = await this.readOne(s, key);
    if (!read.payload) return;
    const version = payloadVersion(read.payload);
    const rdb = Buffer.concat([rdbHeader(magicOfVersion(version), version), selectDbRecord(db), keyRecords([read]), rdbEof()]);
    for (const e of parseRdbBuffer(rdb, { bigKeyThreshold: this.opts.bigKeyBytes, lazyValues: true })) {
      if (e.type === 'key' || e.type === 'key-start' || e.type === 'key-batch' || e.type === 'key-end') yield e;
    }
  }

  private select(r: Reader, db: number): void {
    if (r.db === db) return;
    r.db = db;
    r.conn.send(['SELECT', db], null);
  }

  private async throttle(keys: number): Promise<void> {
    const limit = this.opts.keysPerSecond();
    if (limit !== this.limit) {
      this.limit = limit;
      this.limiter.setRate(limit);
    }
    const wait = this.limiter.take(keys);
    if (wait > 0) await new Promise((res) => setTimeout(res, wait));
  }

  private get address(): string {
    return endpointAddress(this.opts.source);
  }

  private refused(command: string, reply: RespErrorReply): SyncError {
    const noperm = reply.code === 'NOPERM' || /unknown command|NOPERM/i.test(reply.message);
    return new SyncError('SCAN_READ_REFUSED', `the source ${this.address} refused ${command}: ${reply.message}`,
      noperm ? 'scan mode needs SCAN, DUMP, MGET, PEXPIRETIME (PTTL before Redis 7.0), MULTI/EXEC, SELECT and EXISTS on the source account (and MEMORY USAGE to find big keys)' : undefined);
  }
}

/** ScanKeys as MGET's arguments: their bulk strings copied from the SCAN reply in contiguous runs (none where it is one run). */
function encodedKeys(keys: ScanKeys): EncodedArgs {
  const { raw, spans, count } = keys;
  if (count === 0) return new EncodedArgs(Buffer.alloc(0), 0);
  const end = (i: number) => spans[i * 3 + 1]! + spans[i * 3 + 2]! + 2;
  let size = 0;
  let contiguous = true;
  for (let i = 0; i < count; i++) {
    size += end(i) - spans[i * 3]!;
    if (i > 0 && spans[i * 3] !== end(i - 1)) contiguous = false;
  }
  if (contiguous) return new EncodedArgs(raw.subarray(spans[0]!, end(count - 1)), count);
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  let runStart = spans[0]!;
  for (let i = 1; i <= count; i++) {
    if (i < count && spans[i * 3] === end(i - 1)) continue;
    at += raw.copy(out, at, runStart, end(i - 1));
    if (i < count) runStart = spans[i * 3]!;
  }
  return new EncodedArgs(out, count);
}
