/**
 * Key-by-key comparison of a batch of keys between the source and the
 * destination: existence both ways, type, expiry, value (DEBUG DIGEST-VALUE as a
 * fast path, else the values themselves, big keys in chunks) and stream metadata
 * and consumer groups. Used by the Verifier (rounds) and the IncrementalVerifier.
 */
import type { Cmd, NodeCaps, Reply, Side } from './side';
import { SlotMovedError, VerifyError } from './side';
import { preview, printable } from '../keys';
import { RateLimiter, sleep } from './rate';
import { zsetDigestsComparable } from '../servers/facts';
import type { CompareOptions, ConflictKind, VerifyMode } from './types';

/** Differing fields reported per key. */
export const MAX_FIELDS = 10;
/** Collections up to this many elements (strings up to WHOLE_BYTES) are read in one command. */
export const WHOLE_ELEMENTS = 1024;
export const WHOLE_BYTES = 512 * 1024;
/** Elements per HSCAN/SSCAN/ZSCAN/LRANGE/XRANGE/XPENDING chunk of a big key. */
export const CHUNK_ELEMENTS = 512;
export const CHUNK_BYTES = 256 * 1024;
/** DEBUG DIGEST-VALUE blocks the server for the whole key: only below these sizes. */
export const DIGEST_MAX_ELEMENTS = 65_536;
export const DIGEST_MAX_BYTES = 8 * 1024 * 1024;
/** Pending entries read through XINFO STREAM FULL (the rest through XPENDING). */
export const XINFO_COUNT = 100;
/**
 * A key that changed while it was read is compared again after these pauses
 * (the first at once: a key gone or retyped is usually settled by then); one
 * still changing after them is left to the caller's next round. Short, since a
 * batch waits for them.
 */
export const CHANGED_RETRY_MS = [0, 25];

export interface CompareSettings {
  mode: VerifyMode;
  bigKeyThreshold: number;
  ttlExtendMs: number;
  ttlToleranceMs: number;
  /** Use DEBUG DIGEST-VALUE (both sides allow it). */
  digest: boolean;
  /**
   * Sorted sets too: false where one side digests scores as Redis ≤ 7.0 prints them and the other as
   * 7.2+ / Valkey do (servers/facts.ts), so equal sets never have equal digests — read them instead.
   */
  zsetDigest: boolean;
}

export function compareSettings(opts: CompareOptions, source: Side, target: Side): CompareSettings {
  return {
    mode: opts.mode ?? 'full',
    bigKeyThreshold: opts.bigKeyThreshold ?? 16_384,
    ttlExtendMs: Math.round((opts.ttlExtendSeconds ?? 0) * 1000),
    ttlToleranceMs: opts.ttlToleranceMs ?? 1000,
    digest: (opts.useDigest ?? true) && source.digest && target.digest,
    zsetDigest: source.serverVersions.every((a) => target.serverVersions.every((b) => zsetDigestsComparable(a, b))),
  };
}

/** A conflict of one key, before it is placed in a DB's result. */
export interface KeyConflict {
  key: Buffer;
  kind: ConflictKind;
  keyType?: string;
  field?: string;
  moreFields?: string[];
  source?: string;
  target?: string;
}

/** A key that was still changing when compared again: recheck it later. */
export interface KeyChange {
  key: Buffer;
  keyType?: string;
}

export interface CompareOutcome {
  /** Differences found, on keys that held still while they were read. */
  conflicts: KeyConflict[];
  /** Keys still changing after CHANGED_RETRY_MS: neither equal nor a difference yet. */
  unsettled: KeyChange[];
  /** Keys that changed while they were read at least once (so were compared again). */
  changedWhileRead: number;
}

interface Diff {
  field?: string;
  source?: string;
  target?: string;
}

interface Facts {
  type: string;
  /** Absolute expiry in ms; -1 no expiry; -2 no key. */
  expireAt: number;
  len: number | null;
}

/**
 * The key moved while it was being read: another type (WRONGTYPE), gone
 * (a null value, `ERR no such key` from XINFO, NOGROUP from XPENDING), or
 * shorter or longer than its length said. Compared again, never a difference.
 */
class KeyChanged extends Error {}

/** Error replies to a per-key read that mean the key moved since it was looked at. */
const MOVED_REPLY = /^(WRONGTYPE|ERR no such key|NOGROUP)/;
/** Redis deletes a collection when its last element goes: such a key is never empty (a stream can be). */
const NEVER_EMPTY = new Set(['list', 'set', 'zset', 'hash']);

const LEN_CMD: Record<string, string> = {
  string: 'STRLEN', list: 'LLEN', set: 'SCARD', zset: 'ZCARD', hash: 'HLEN', stream: 'XLEN',
  // Redis 8's vector sets (module "vectorset"): they digest their content, and are read element by element (compareVectorSet).
  vectorset: 'VCARD',
};
/** VINFO fields that are the set's settings (the rest — levels, node ids, uid — depend on how its graph was built). */
const VINFO_SETTINGS = ['quant-type', 'vector-dim', 'projection-input-dim', 'hnsw-m'];
const WHOLE_CMD: Record<string, (key: Buffer) => Cmd> = {
  string: (k) => ['GET', k],
  list: (k) => ['LRANGE', k, 0, -1],
  set: (k) => ['SMEMBERS', k],
  zset: (k) => ['ZRANGE', k, 0, -1, 'WITHSCORES'],
  hash: (k) => ['HGETALL', k], // upper case: ioredis only turns 'hgetall' replies into objects
  stream: (k) => ['XRANGE', k, '-', '+'],
};

function value(r: Reply): unknown {
  if (r.err) {
    if (MOVED_REPLY.test(r.err.message)) throw new KeyChanged(r.err.message);
    throw new VerifyError('COMMAND', `verification command failed: ${r.err.message}`,
      'check that both sides are Redis/Valkey servers that accept the read commands listed in docs/verification.md');
  }
  return r.value;
}

/** Elements (bytes of a string) of a whole value as WHOLE_CMD replies it; null for module types (DUMP). */
function measure(type: string, v: unknown): number | null {
  if (type === 'string') return Buffer.isBuffer(v) ? v.length : -1;
  if (!(type in WHOLE_CMD)) return null;
  if (!Array.isArray(v)) return -1;
  return type === 'hash' || type === 'zset' ? v.length / 2 : v.length;
}

/** A whole value read after its length: null, or another length than announced, means the key moved in between. */
function checkedWhole(f: Facts, v: unknown): unknown {
  if (v === null || v === undefined) throw new KeyChanged('the key vanished before its value was read');
  const n = measure(f.type, v);
  if (n !== null && f.len !== null && n !== f.len) throw new KeyChanged(`the key has ${n} elements, not ${f.len}`);
  return v;
}

/** A chunk of a big string or list: shorter or longer than the range asked means the key moved. */
function checkedChunk<T extends Buffer | Buffer[]>(v: T, expected: number): T {
  if (v.length !== expected) throw new KeyChanged(`a chunk of ${v.length} instead of ${expected}`);
  return v;
}

const str = (v: unknown): string => (Buffer.isBuffer(v) ? v.toString('latin1') : v === null || v === undefined ? '' : String(v));
const show = (v: unknown): string => (Buffer.isBuffer(v) ? preview(v) : v === null || v === undefined ? '(missing)' : String(v));

function parseScore(v: unknown): number {
  const s = str(v).toLowerCase();
  if (s === 'inf' || s === '+inf') return Infinity;
  if (s === '-inf') return -Infinity;
  return Number(s);
}

function expiryText(ms: number): string {
  return ms < 0 ? 'no expiry' : new Date(ms).toISOString();
}

export class KeyComparator {
  constructor(
    readonly source: Side,
    readonly target: Side,
    readonly settings: CompareSettings,
    private readonly limiter: RateLimiter = new RateLimiter(),
    private readonly signal?: AbortSignal,
  ) {}

  /**
   * Compares `keys` of source DB `db` with destination DB `tdb`. Keys that
   * moved while they were read are compared again after CHANGED_RETRY_MS;
   * those still moving come back as `unsettled`, not as conflicts.
   */
  async compare(db: number, tdb: number, keys: Buffer[]): Promise<CompareOutcome> {
    const out: CompareOutcome = { conflicts: [], unsettled: [], changedWhileRead: 0 };
    if (keys.length === 0) return out;
    await this.limiter.take(keys.length, this.signal);
    const changed = new Set<string>();
    let todo = keys;
    for (let retry = 0; ; retry++) {
      const once = await this.compareRouted(db, tdb, todo);
      out.conflicts.push(...once.conflicts);
      for (const c of once.changed) changed.add(c.key.toString('latin1'));
      out.changedWhileRead = changed.size;
      if (once.changed.length === 0) return out;
      if (retry >= CHANGED_RETRY_MS.length) {
        out.unsettled = once.changed;
        return out;
      }
      await sleep(CHANGED_RETRY_MS[retry], this.signal);
      await this.limiter.take(once.changed.length, this.signal);
      todo = once.changed.map((c) => c.key);
    }
  }

  /** compareOnce, again after a MOVED/ASK (the slot map changed under us). */
  private async compareRouted(db: number, tdb: number, keys: Buffer[]): Promise<{ conflicts: KeyConflict[]; changed: KeyChange[] }> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.compareOnce(db, tdb, keys);
      } catch (err) {
        if (!(err instanceof SlotMovedError) || attempt >= 5) throw err;
        await sleep(100 * (attempt + 1), this.signal);
        await Promise.all([this.source.refreshSlots(), this.target.refreshSlots()]);
      }
    }
  }

  /** For each destination key: true when none of the source DBs `dbs` has it. */
  async missingOnSource(dbs: number[], keys: Buffer[]): Promise<boolean[]> {
    await this.limiter.take(keys.length, this.signal);
    const missing = keys.map(() => true);
    for (let attempt = 0; ; attempt++) {
      try {
        for (const db of dbs) {
          const replies = await this.source.perKey(db, keys, (k) => [['EXISTS', k]]);
          replies.forEach(([r], i) => {
            if (Number(value(r)) > 0) missing[i] = false;
          });
        }
        return missing;
      } catch (err) {
        if (!(err instanceof SlotMovedError) || attempt >= 5) throw err;
        await sleep(100 * (attempt + 1), this.signal);
        await this.source.refreshSlots();
      }
    }
  }

  private async facts(side: Side, db: number, keys: Buffer[]): Promise<Facts[]> {
    const replies = await side.perKey(db, keys, (k) => [['TYPE', k], [side.nodeFor(k).caps.pexpiretime ? 'PEXPIRETIME' : 'PTTL', k]]);
    const now = Date.now();
    return replies.map(([type, ttl], i) => {
      const t = str(value(type));
      const n = Number(value(ttl));
      const absolute = side.nodeFor(keys[i]).caps.pexpiretime;
      return { type: t, expireAt: n < 0 || absolute ? n : now + n, len: null };
    });
  }

  /**
   * The length of each key as the type it had (null: no length command for that
   * type, or no type given); `changed` holds the positions of keys that turned
   * out to have another type, or to be gone, by the time the length was asked.
   */
  private async lengths(side: Side, db: number, keys: Buffer[], types: string[]): Promise<{ len: (number | null)[]; changed: Set<number> }> {
    const changed = new Set<number>();
    const len: (number | null)[] = keys.map(() => null);
    const replies = await side.perKey(db, keys, (k, i) => (LEN_CMD[types[i]] ? [[LEN_CMD[types[i]], k]] : []));
    replies.forEach((r, i) => {
      if (r.length === 0) return;
      try {
        len[i] = Number(value(r[0]));
        if (len[i] === 0 && NEVER_EMPTY.has(types[i])) changed.add(i);
      } catch (err) {
        if (!(err instanceof KeyChanged)) throw err;
        changed.add(i);
      }
    });
    return { len, changed };
  }

  /**
   * Reads TYPE, expiry and length again of keys `idx` after their comparison:
   * the ones whose facts differ from the first read on either side moved while
   * they were read, and what was found on them proves nothing.
   */
  private async moved(db: number, tdb: number, keys: Buffer[], idx: number[], sf: Facts[], tf: Facts[]): Promise<number[]> {
    if (idx.length === 0) return [];
    const ks = idx.map((i) => keys[i]);
    const again = async (side: Side, d: number, before: Facts[]) => {
      const after = await this.facts(side, d, ks);
      // Lengths only where the first read had one and the type held.
      const types = idx.map((i, j) => (before[i].len !== null && after[j].type === before[i].type ? before[i].type : ''));
      const { len, changed } = await this.lengths(side, d, ks, types);
      return idx.map((i, j) => {
        const b = before[i];
        const a = after[j];
        if (a.type !== b.type || changed.has(j) || (b.len !== null && len[j] !== b.len)) return true;
        // PTTL-based expiries (before 7.0) are relative to the reply's arrival: they drift by the round trip.
        const slack = side.nodeFor(ks[j]).caps.pexpiretime ? 0 : 1000;
        return (a.expireAt < 0 || b.expireAt < 0) ? a.expireAt !== b.expireAt : Math.abs(a.expireAt - b.expireAt) > slack;
      });
    };
    const [ms, mt] = await Promise.all([again(this.source, db, sf), again(this.target, tdb, tf)]);
    return idx.filter((_, j) => ms[j] || mt[j]);
  }

  private async compareOnce(db: number, tdb: number, keys: Buffer[]): Promise<{ conflicts: KeyConflict[]; changed: KeyChange[] }> {
    const { mode } = this.settings;
    const [sf, tf] = await Promise.all([this.facts(this.source, db, keys), this.facts(this.target, tdb, keys)]);
    // Conflicts with the index of their key: a key found to have moved takes its conflicts back.
    const found: { i: number; c: KeyConflict }[] = [];
    const add = (i: number, c: Omit<KeyConflict, 'key'>) => found.push({ i, c: { key: keys[i], ...c } });
    const changed = new Set<number>();
    const live: number[] = [];
    keys.forEach((_, i) => {
      const s = sf[i];
      const t = tf[i];
      // TYPE and the expiry come from two commands: a key gone (or born) between them moved.
      if ((s.type === 'none') !== (s.expireAt === -2) || (t.type === 'none') !== (t.expireAt === -2)) return void changed.add(i);
      if (s.type === 'none' && t.type === 'none') return;
      if (t.type === 'none') return add(i, { kind: 'lack_target', keyType: s.type });
      if (s.type === 'none') return add(i, { kind: 'lack_source', keyType: t.type });
      if (mode === 'keys') return;
      if (s.type !== t.type) return add(i, { kind: 'type', keyType: s.type, source: s.type, target: t.type });
      const ttl = this.ttlConflict(s.expireAt, t.expireAt);
      if (ttl) add(i, { kind: 'ttl', keyType: s.type, ...ttl });
      live.push(i);
    });

    // Lengths (bytes of strings, elements of collections) of the keys both sides have with one type.
    if (live.length > 0) {
      const liveKeys = live.map((i) => keys[i]);
      const liveTypes = live.map((i) => sf[i].type);
      const [ls, lt] = await Promise.all([
        this.lengths(this.source, db, liveKeys, liveTypes),
        this.lengths(this.target, tdb, liveKeys, liveTypes),
      ]);
      live.forEach((i, j) => {
        if (ls.changed.has(j) || lt.changed.has(j)) changed.add(i);
        sf[i].len = ls.len[j];
        tf[i].len = lt.len[j];
      });
    }

    const lengthOnly: number[] = [];
    const fullValue: number[] = [];
    const streams: number[] = [];
    for (const i of live) {
      if (changed.has(i)) continue;
      const { len: sl, type } = sf[i];
      const tl = tf[i].len;
      if (mode === 'length') {
        if (sl !== null) lengthOnly.push(i);
        continue;
      }
      if (type === 'stream') streams.push(i);
      const big = sl !== null && tl !== null && Math.max(sl, tl) > this.settings.bigKeyThreshold;
      if (mode === 'full-length-above' && big) lengthOnly.push(i);
      else fullValue.push(i);
    }
    for (const i of lengthOnly) {
      if (sf[i].len !== tf[i].len) add(i, { kind: 'value', keyType: sf[i].type, field: '(length)', source: String(sf[i].len), target: String(tf[i].len) });
    }

    // Fast path: equal digests mean equal values.
    let toRead = fullValue;
    if (this.settings.digest && fullValue.length > 0) {
      const digestable = fullValue.filter((i) => {
        const { type, len } = sf[i];
        if (!LEN_CMD[type] || len === null || len !== tf[i].len) return false; // module types may not digest; unequal lengths must be read anyway
        if (type === 'zset' && !this.settings.zsetDigest) return false;
        return type === 'string' ? len <= DIGEST_MAX_BYTES : len <= DIGEST_MAX_ELEMENTS;
      });
      const dKeys = digestable.map((i) => keys[i]);
      const [sd, td] = await Promise.all([
        this.source.perKey(db, dKeys, (k) => [['DEBUG', 'DIGEST-VALUE', k]]),
        this.target.perKey(tdb, dKeys, (k) => [['DEBUG', 'DIGEST-VALUE', k]]),
      ]);
      const same = new Set<number>();
      digestable.forEach((i, j) => {
        const a = sd[j][0];
        const b = td[j][0];
        if (!a.err && !b.err && str((a.value as unknown[])[0]) === str((b.value as unknown[])[0])) same.add(i);
      });
      toRead = fullValue.filter((i) => !same.has(i));
    }

    // Values: small keys in one pipeline per side, big keys chunk by chunk.
    const small = toRead.filter((i) => {
      if (sf[i].type === 'vectorset') return false;
      const len = Math.max(sf[i].len ?? 0, tf[i].len ?? 0);
      return sf[i].type === 'string' ? len <= WHOLE_BYTES : len <= WHOLE_ELEMENTS;
    });
    const vsets = toRead.filter((i) => sf[i].type === 'vectorset');
    const big = toRead.filter((i) => !small.includes(i) && sf[i].type !== 'vectorset');
    const diffs = new Map<number, Diff[]>();
    for (const i of vsets) {
      try {
        diffs.set(i, await this.compareVectorSet(db, tdb, keys[i], sf[i].len ?? 0, tf[i].len ?? 0));
      } catch (err) {
        if (!(err instanceof KeyChanged)) throw err;
        changed.add(i);
      }
    }
    await this.readSmall(db, tdb, keys, sf, tf, small, diffs, changed);
    for (const i of big) {
      try {
        diffs.set(i, await this.compareBig(db, tdb, keys[i], sf[i], tf[i]));
      } catch (err) {
        if (!(err instanceof KeyChanged)) throw err;
        changed.add(i);
      }
    }
    for (const i of streams) {
      if (changed.has(i)) continue;
      try {
        const extra = await this.compareStreamMeta(db, tdb, keys[i]);
        if (extra.length > 0) diffs.set(i, [...(diffs.get(i) ?? []), ...extra]);
      } catch (err) {
        if (!(err instanceof KeyChanged)) throw err;
        changed.add(i);
      }
    }
    for (const [i, d] of diffs) {
      if (d.length === 0 || changed.has(i)) continue;
      const [first, ...rest] = d;
      const more = rest.map((x) => x.field).filter((f): f is string => f !== undefined).slice(0, MAX_FIELDS - 1);
      add(i, {
        kind: 'value', keyType: sf[i].type, field: first.field, source: first.source, target: first.target,
        ...(more.length > 0 ? { moreFields: more } : {}),
      });
    }

    // A value difference, or a big key read over many round trips, counts only if the key held still
    // meanwhile. Existence, type and expiry come from one read per side: a key differing there is in flight
    // (or lost), which is what the rounds are for.
    const suspects = new Set<number>([...found.filter((f) => f.c.kind === 'value').map((f) => f.i), ...big, ...vsets]);
    for (const i of await this.moved(db, tdb, keys, [...suspects].filter((i) => !changed.has(i)), sf, tf)) changed.add(i);

    return {
      conflicts: found.filter((f) => !changed.has(f.i)).map((f) => f.c),
      changed: [...changed].sort((a, b) => a - b).map((i) => ({ key: keys[i], keyType: sf[i].type !== 'none' ? sf[i].type : tf[i].type })),
    };
  }

  private ttlConflict(s: number, t: number): Diff | undefined {
    const adjusted = t >= 0 ? t - this.settings.ttlExtendMs : t;
    const note = this.settings.ttlExtendMs && t >= 0 ? ` (after taking off the ${this.settings.ttlExtendMs / 1000} s extension)` : '';
    if ((s < 0) !== (t < 0) || (s >= 0 && Math.abs(s - adjusted) > this.settings.ttlToleranceMs)) {
      return { source: expiryText(s), target: `${expiryText(adjusted)}${note}` };
    }
    return undefined;
  }

  private async readSmall(db: number, tdb: number, keys: Buffer[], sf: Facts[], tf: Facts[], idx: number[], diffs: Map<number, Diff[]>, changed: Set<number>): Promise<void> {
    if (idx.length === 0) return;
    const ks = idx.map((i) => keys[i]);
    const cmd = (k: Buffer, j: number): Cmd[] => [WHOLE_CMD[sf[idx[j]].type]?.(k) ?? ['DUMP', k]];
    const [sr, tr] = await Promise.all([this.source.perKey(db, ks, cmd), this.target.perKey(tdb, ks, cmd)]);
    idx.forEach((i, j) => {
      try {
        diffs.set(i, diffWhole(sf[i].type, checkedWhole(sf[i], value(sr[j][0])), checkedWhole(tf[i], value(tr[j][0]))));
      } catch (err) {
        if (!(err instanceof KeyChanged)) throw err;
        changed.add(i);
      }
    });
  }

  private async compareBig(db: number, tdb: number, key: Buffer, s: Facts, t: Facts): Promise<Diff[]> {
    switch (s.type) {
      case 'string': return this.bigString(db, tdb, key, s.len ?? 0, t.len ?? 0);
      case 'list': return this.bigList(db, tdb, key, s.len ?? 0, t.len ?? 0);
      case 'stream': return this.bigStream(db, tdb, key);
      case 'hash': case 'set': case 'zset': return this.bigUnordered(s.type, db, tdb, key, s.len ?? 0, t.len ?? 0);
      default: return [];
    }
  }

  /**
   * A vector set, by content: its settings (VINFO), its elements (VRANDMEMBER with a count of at
   * least its size gives them all), and each element's vector as stored (VEMB … RAW: the quantized
   * bytes and norm) and attributes (VGETATTR). Not its DUMP: that holds the HNSW graph, whose links
   * differ between two servers that inserted the same elements (each draws its nodes' levels at random).
   */
  private async compareVectorSet(db: number, tdb: number, key: Buffer, sl: number, tl: number): Promise<Diff[]> {
    const diffs: Diff[] = [];
    const [ia, ib] = await Promise.all([
      this.read<unknown>(this.source, db, key, ['VINFO', key]),
      this.read<unknown>(this.target, tdb, key, ['VINFO', key]),
    ]);
    const si = pairs(ia);
    const ti = pairs(ib);
    for (const f of VINFO_SETTINGS) {
      if ((si.has(f) || ti.has(f)) && fmt(si.get(f)) !== fmt(ti.get(f))) diffs.push({ field: `(${f})`, source: show(si.get(f)), target: show(ti.get(f)) });
    }
    const count = Math.max(sl, tl);
    if (count === 0) return diffs;
    await this.chunk();
    const members = async (side: Side, d: number, len: number): Promise<Buffer[]> => {
      const all = await this.read<Buffer[]>(side, d, key, ['VRANDMEMBER', key, count]);
      if (!Array.isArray(all) || all.length !== len) throw new KeyChanged(`the vector set has ${Array.isArray(all) ? all.length : 0} elements, not ${len}`);
      return all;
    };
    const [ma, mb] = await Promise.all([members(this.source, db, sl), members(this.target, tdb, tl)]);
    const there = new Set(mb.map(str));
    const here = new Set(ma.map(str));
    for (const m of ma) if (!there.has(str(m)) && diffs.length < MAX_FIELDS) diffs.push({ field: printable(m), source: 'element', target: '(missing)' });
    for (const m of mb) if (!here.has(str(m)) && diffs.length < MAX_FIELDS) diffs.push({ field: printable(m), source: '(missing)', target: 'element' });
    const common = ma.filter((m) => there.has(str(m)));
    for (let at = 0; at < common.length && diffs.length < MAX_FIELDS; at += CHUNK_ELEMENTS) {
      await this.chunk();
      const els = common.slice(at, at + CHUNK_ELEMENTS);
      const cmds = els.flatMap((el): Cmd[] => [['VEMB', key, el, 'RAW'], ['VGETATTR', key, el]]);
      const [ra, rb] = await Promise.all([this.source.nodeFor(key).pipeline(db, cmds), this.target.nodeFor(key).pipeline(tdb, cmds)]);
      els.forEach((el, j) => {
        if (diffs.length >= MAX_FIELDS) return;
        const [ea, aa] = [value(ra[2 * j]), value(ra[2 * j + 1])];
        const [eb, ab] = [value(rb[2 * j]), value(rb[2 * j + 1])];
        // A deleted element reads as null: the set moved while it was read.
        if (ea === null || eb === null) throw new KeyChanged(`element ${printable(el)} vanished while it was read`);
        if (!sameEmbedding(ea, eb)) diffs.push({ field: `${printable(el)} (vector)`, source: embeddingText(ea), target: embeddingText(eb) });
        else if (fmt(aa) !== fmt(ab)) diffs.push({ field: `${printable(el)} (attributes)`, source: show(aa), target: show(ab) });
      });
    }
    return diffs;
  }

  private chunk(): Promise<void> {
    this.signal?.throwIfAborted();
    return this.limiter.take(1, this.signal);
  }

  /** One read of `key`; an error reply saying the key moved (WRONGTYPE …) throws KeyChanged. */
  private async read<T>(side: Side, db: number, key: Buffer, cmd: Cmd): Promise<T> {
    const [r] = await side.nodeFor(key).pipeline(db, [cmd]);
    return value(r) as T;
  }

  private async bigString(db: number, tdb: number, key: Buffer, sl: number, tl: number): Promise<Diff[]> {
    const common = Math.min(sl, tl);
    for (let at = 0; at < common; at += CHUNK_BYTES) {
      await this.chunk();
      const end = Math.min(at + CHUNK_BYTES, common) - 1;
      const [a, b] = await Promise.all([
        this.read<Buffer>(this.source, db, key, ['GETRANGE', key, at, end]).then((v) => checkedChunk(v, end - at + 1)),
        this.read<Buffer>(this.target, tdb, key, ['GETRANGE', key, at, end]).then((v) => checkedChunk(v, end - at + 1)),
      ]);
      if (!a.equals(b)) {
        let k = 0;
        while (k < a.length && k < b.length && a[k] === b[k]) k++;
        return [{ field: `offset ${at + k}`, source: preview(a.subarray(k, k + 64)), target: preview(b.subarray(k, k + 64)) }];
      }
    }
    return sl === tl ? [] : [{ field: '(length)', source: String(sl), target: String(tl) }];
  }

  private async bigList(db: number, tdb: number, key: Buffer, sl: number, tl: number): Promise<Diff[]> {
    const diffs: Diff[] = [];
    const common = Math.min(sl, tl);
    for (let at = 0; at < common && diffs.length < MAX_FIELDS; at += CHUNK_ELEMENTS) {
      await this.chunk();
      const end = Math.min(at + CHUNK_ELEMENTS, common) - 1;
      const [a, b] = await Promise.all([
        this.read<Buffer[]>(this.source, db, key, ['LRANGE', key, at, end]).then((v) => checkedChunk(v, end - at + 1)),
        this.read<Buffer[]>(this.target, tdb, key, ['LRANGE', key, at, end]).then((v) => checkedChunk(v, end - at + 1)),
      ]);
      for (let k = 0; k < Math.max(a.length, b.length) && diffs.length < MAX_FIELDS; k++) {
        if (!a[k] || !b[k] || !a[k].equals(b[k])) diffs.push({ field: `[${at + k}]`, source: show(a[k]), target: show(b[k]) });
      }
    }
    if (sl !== tl && diffs.length < MAX_FIELDS) diffs.push({ field: '(length)', source: String(sl), target: String(tl) });
    return diffs;
  }

  /**
   * Hashes, sets and sorted sets: scan the source in chunks and look the chunk up
   * on the destination; when the destination has more than that explained, scan
   * it too for the fields the source lacks.
   */
  private async bigUnordered(type: 'hash' | 'set' | 'zset', db: number, tdb: number, key: Buffer, sl: number, tl: number): Promise<Diff[]> {
    const diffs: Diff[] = [];
    const missingOnTarget = await this.scanLookup(type, 'forward', db, tdb, key, diffs);
    if (diffs.length < MAX_FIELDS && tl - (sl - missingOnTarget) > 0) await this.scanLookup(type, 'backward', db, tdb, key, diffs);
    if (diffs.length === 0 && sl !== tl) diffs.push({ field: '(length)', source: String(sl), target: String(tl) });
    return diffs;
  }

  /** Returns how many scanned elements the other side lacks. */
  private async scanLookup(type: 'hash' | 'set' | 'zset', dir: 'forward' | 'backward', db: number, tdb: number, key: Buffer, diffs: Diff[]): Promise<number> {
    const [from, fromDb, other, otherDb] = dir === 'forward'
      ? [this.source, db, this.target, tdb] as const
      : [this.target, tdb, this.source, db] as const;
    const scanCmd = type === 'hash' ? 'HSCAN' : type === 'set' ? 'SSCAN' : 'ZSCAN';
    const otherCaps: NodeCaps = other.nodeFor(key).caps;
    let missing = 0;
    let cursor = '0';
    do {
      await this.chunk();
      const [next, flat] = await this.read<[Buffer, Buffer[]]>(from, fromDb, key, [scanCmd, key, cursor, 'COUNT', CHUNK_ELEMENTS]);
      cursor = next.toString();
      const step = type === 'set' ? 1 : 2;
      const names: Buffer[] = [];
      for (let i = 0; i < flat.length; i += step) names.push(flat[i]);
      if (names.length === 0) continue;
      let found: unknown[];
      if (type === 'hash') {
        found = await this.read<unknown[]>(other, otherDb, key, ['HMGET', key, ...names]);
      } else if (otherCaps.v62) {
        found = await this.read<unknown[]>(other, otherDb, key, [type === 'set' ? 'SMISMEMBER' : 'ZMSCORE', key, ...names]);
      } else {
        const replies = await other.nodeFor(key).pipeline(otherDb, names.map((n): Cmd => [type === 'set' ? 'SISMEMBER' : 'ZSCORE', key, n]));
        found = replies.map(value);
      }
      names.forEach((name, j) => {
        const there = found[j];
        const absent = there === null || there === undefined || (type === 'set' && Number(there) === 0);
        if (absent) missing++;
        if (diffs.length >= MAX_FIELDS) return;
        const here = type === 'set' ? 'member' : flat[j * 2 + 1];
        const field = printable(name);
        if (absent) {
          const mine = type === 'set' ? 'member' : show(here);
          diffs.push(dir === 'forward' ? { field, source: mine, target: '(missing)' } : { field, source: '(missing)', target: mine });
        } else if (dir === 'forward') {
          const differs = type === 'zset' ? parseScore(here) !== parseScore(there) : type === 'hash' ? !(here as Buffer).equals(there as Buffer) : false;
          if (differs) diffs.push({ field, source: show(here), target: show(there) });
        }
      });
    } while (cursor !== '0' && diffs.length < MAX_FIELDS);
    return missing;
  }

  /** Walks both streams in id order, chunk by chunk, until the first difference. */
  private async bigStream(db: number, tdb: number, key: Buffer): Promise<Diff[]> {
    const sCaps = this.source.nodeFor(key).caps;
    const tCaps = this.target.nodeFor(key).caps;
    let after: string | null = null;
    for (;;) {
      await this.chunk();
      const range = (caps: NodeCaps): Cmd => ['XRANGE', key, after === null ? '-' : caps.v62 ? `(${after}` : nextId(after), '+', 'COUNT', CHUNK_ELEMENTS];
      const [a, b] = await Promise.all([
        this.read<StreamEntry[]>(this.source, db, key, range(sCaps)),
        this.read<StreamEntry[]>(this.target, tdb, key, range(tCaps)),
      ]);
      const d = diffEntries(a, b, true);
      if (d.length > 0) return d;
      if (a.length < CHUNK_ELEMENTS || a.length === 0) return [];
      after = str(a[a.length - 1][0]);
    }
  }

  /**
   * Stream metadata and consumer groups (XINFO STREAM … FULL), which
   * DEBUG DIGEST-VALUE leaves out. Volatile fields are not compared: a
   * consumer's seen-time and active-time change whenever it reads, and the
   * radix-tree sizes depend on how the stream was built.
   */
  private async compareStreamMeta(db: number, tdb: number, key: Buffer): Promise<Diff[]> {
    const cmd: Cmd = ['XINFO', 'STREAM', key, 'FULL', 'COUNT', XINFO_COUNT];
    const [a, b] = await Promise.all([this.read<unknown>(this.source, db, key, cmd), this.read<unknown>(this.target, tdb, key, cmd)]);
    const s = pairs(a);
    const t = pairs(b);
    const diffs: Diff[] = [];
    for (const f of ['last-generated-id', 'max-deleted-entry-id', 'entries-added']) {
      if (s.has(f) && t.has(f) && fmt(s.get(f)) !== fmt(t.get(f))) diffs.push({ field: `(${f})`, source: show(s.get(f)), target: show(t.get(f)) });
    }
    const sg = byName(s.get('groups'));
    const tg = byName(t.get('groups'));
    for (const name of new Set([...sg.keys(), ...tg.keys()])) {
      if (diffs.length >= MAX_FIELDS) break;
      const g1 = sg.get(name);
      const g2 = tg.get(name);
      const label = `group ${printable(Buffer.from(name, 'latin1'))}`;
      if (!g1 || !g2) {
        diffs.push({ field: label, source: g1 ? 'exists' : '(missing)', target: g2 ? 'exists' : '(missing)' });
        continue;
      }
      for (const f of ['last-delivered-id', 'entries-read', 'lag', 'pel-count']) {
        if (g1.has(f) && g2.has(f) && fmt(g1.get(f)) !== fmt(g2.get(f))) diffs.push({ field: `${label} ${f}`, source: show(g1.get(f)), target: show(g2.get(f)) });
      }
      // Group PEL: [id, consumer, delivery-time, delivery-count].
      diffs.push(...diffRows(`${label} pending`, g1.get('pending'), g2.get('pending'), ['consumer', 'delivery-time', 'delivery-count']));
      const c1 = byName(g1.get('consumers'));
      const c2 = byName(g2.get('consumers'));
      for (const cname of new Set([...c1.keys(), ...c2.keys()])) {
        const x = c1.get(cname);
        const y = c2.get(cname);
        const clabel = `${label} consumer ${printable(Buffer.from(cname, 'latin1'))}`;
        if (!x || !y) {
          diffs.push({ field: clabel, source: x ? 'exists' : '(missing)', target: y ? 'exists' : '(missing)' });
          continue;
        }
        if (fmt(x.get('pel-count')) !== fmt(y.get('pel-count'))) diffs.push({ field: `${clabel} pel-count`, source: show(x.get('pel-count')), target: show(y.get('pel-count')) });
        // Consumer PEL: [id, delivery-time, delivery-count].
        diffs.push(...diffRows(`${clabel} pending`, x.get('pending'), y.get('pending'), ['delivery-time', 'delivery-count']));
      }
      // Beyond the first XINFO_COUNT pending entries: XPENDING in chunks (id, consumer, delivery count).
      const pel = Number(g1.get('pel-count'));
      const pending = g1.get('pending') as unknown[][] | undefined;
      if (diffs.length === 0 && pel > XINFO_COUNT && fmt(g1.get('pel-count')) === fmt(g2.get('pel-count')) && pending?.length) {
        diffs.push(...(await this.comparePending(db, tdb, key, Buffer.from(name, 'latin1'), str(pending[pending.length - 1][0]), label)));
      }
    }
    return diffs.slice(0, MAX_FIELDS);
  }

  private async comparePending(db: number, tdb: number, key: Buffer, group: Buffer, after: string, label: string): Promise<Diff[]> {
    const sCaps = this.source.nodeFor(key).caps;
    const tCaps = this.target.nodeFor(key).caps;
    for (;;) {
      await this.chunk();
      const cmd = (caps: NodeCaps): Cmd => ['XPENDING', key, group, caps.v62 ? `(${after}` : nextId(after), '+', CHUNK_ELEMENTS];
      const [a, b] = await Promise.all([
        this.read<unknown[][]>(this.source, db, key, cmd(sCaps)),
        this.read<unknown[][]>(this.target, tdb, key, cmd(tCaps)),
      ]);
      // XPENDING rows: [id, consumer, idle ms, delivery count]; idle depends on when it is asked, so it is left out.
      const strip = (rows: unknown[][]) => rows.map((r) => [r[0], r[1], r[3]]);
      const d = diffRows(`${label} pending`, strip(a), strip(b), ['consumer', 'delivery-count']);
      if (d.length > 0 || a.length < CHUNK_ELEMENTS) return d;
      after = str(a[a.length - 1][0]);
    }
  }
}

type StreamEntry = [Buffer, Buffer[]];

/** The smallest stream id after `id` (for servers without exclusive ranges). */
function nextId(id: string): string {
  const [ms, seq] = id.split('-');
  const s = BigInt(seq ?? '0');
  return s === 0xffffffffffffffffn ? `${BigInt(ms) + 1n}-0` : `${ms}-${s + 1n}`;
}

function fmt(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(fmt).join(',')}]`;
  if (Buffer.isBuffer(v)) return JSON.stringify(v.toString('latin1'));
  return v === null || v === undefined ? 'nil' : JSON.stringify(v);
}

/** A RESP2 map ([k, v, k, v, …]) as a Map with string keys. */
function pairs(reply: unknown): Map<string, unknown> {
  const m = new Map<string, unknown>();
  if (!Array.isArray(reply)) return m;
  for (let i = 0; i + 1 < reply.length; i += 2) m.set(str(reply[i]), reply[i + 1]);
  return m;
}

/** A list of RESP2 maps, by their `name` field. */
function byName(list: unknown): Map<string, Map<string, unknown>> {
  const out = new Map<string, Map<string, unknown>>();
  if (!Array.isArray(list)) return out;
  for (const item of list) {
    const m = pairs(item);
    out.set(str(m.get('name')), m);
  }
  return out;
}

/** Rows keyed by an id in their first column, compared in order. */
function diffRows(label: string, a: unknown, b: unknown, cols: string[]): Diff[] {
  const x = (Array.isArray(a) ? a : []) as unknown[][];
  const y = (Array.isArray(b) ? b : []) as unknown[][];
  const describe = (r: unknown[] | undefined) => (r ? cols.map((c, i) => `${c}=${show(r[i + 1])}`).join(' ') : '(missing)');
  const diffs: Diff[] = [];
  for (let i = 0; i < Math.max(x.length, y.length) && diffs.length < MAX_FIELDS; i++) {
    if (fmt(x[i]) === fmt(y[i])) continue;
    const ids = [x[i]?.[0], y[i]?.[0]].filter((v) => v !== undefined).map(str).sort(compareIds);
    const id = ids[0];
    const rx = x.find((r) => str(r[0]) === id);
    const ry = y.find((r) => str(r[0]) === id);
    diffs.push({ field: `${label} ${id}`, source: describe(rx), target: describe(ry) });
    if (str(x[i]?.[0]) !== str(y[i]?.[0])) break; // misaligned from here on
  }
  return diffs;
}

function compareIds(a: string, b: string): number {
  const [am, as] = a.split('-').map((n) => BigInt(n || '0'));
  const [bm, bs] = b.split('-').map((n) => BigInt(n || '0'));
  return am !== bm ? (am < bm ? -1 : 1) : as === bs ? 0 : as < bs ? -1 : 1;
}

/** Stream entries in id order; stops at the first misalignment (`stopAtFirst`) or at MAX_FIELDS. */
function diffEntries(a: StreamEntry[], b: StreamEntry[], stopAtFirst: boolean): Diff[] {
  const diffs: Diff[] = [];
  let i = 0;
  let j = 0;
  const entryText = (e: StreamEntry) => e[1].map((x) => preview(x, 24)).join(' ');
  while ((i < a.length || j < b.length) && diffs.length < MAX_FIELDS) {
    const ea = a[i];
    const eb = b[j];
    const c = !ea ? 1 : !eb ? -1 : compareIds(str(ea[0]), str(eb[0]));
    if (c < 0) {
      diffs.push({ field: str(ea[0]), source: entryText(ea), target: '(missing)' });
      i++;
    } else if (c > 0) {
      diffs.push({ field: str(eb[0]), source: '(missing)', target: entryText(eb) });
      j++;
    } else {
      if (fmt(ea[1]) !== fmt(eb[1])) diffs.push({ field: str(ea[0]), source: entryText(ea), target: entryText(eb) });
      i++;
      j++;
      continue;
    }
    if (stopAtFirst) break;
  }
  return diffs;
}

/**
 * VEMB … RAW: [quantization, the stored bytes, the L2 norm, and for int8 the range]. The bytes
 * must be equal; the numbers are compared as numbers (servers may print a double differently).
 */
function sameEmbedding(a: unknown, b: unknown): boolean {
  if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return fmt(a) === fmt(b);
  return a.every((x, i) => {
    const y = b[i];
    if (i >= 2) return Number(str(x)) === Number(str(y));
    return Buffer.isBuffer(x) && Buffer.isBuffer(y) ? x.equals(y) : fmt(x) === fmt(y);
  });
}

function embeddingText(v: unknown): string {
  if (!Array.isArray(v)) return show(v);
  const [quant, bytes, norm] = v;
  return `${str(quant)}, ${Buffer.isBuffer(bytes) ? `${bytes.length} bytes ${preview(bytes, 16)}` : show(bytes)}, norm ${str(norm)}`;
}

/** Differences between two whole values of one type. */
function diffWhole(type: string, a: unknown, b: unknown): Diff[] {
  const diffs: Diff[] = [];
  const push = (d: Diff) => diffs.length < MAX_FIELDS && diffs.push(d);
  switch (type) {
    case 'string': {
      if (!Buffer.isBuffer(a) || !Buffer.isBuffer(b) || !a.equals(b)) push({ source: show(a), target: show(b) });
      break;
    }
    case 'list': {
      const x = a as Buffer[];
      const y = b as Buffer[];
      for (let i = 0; i < Math.max(x.length, y.length); i++) {
        if (!x[i] || !y[i] || !x[i].equals(y[i])) push({ field: `[${i}]`, source: show(x[i]), target: show(y[i]) });
      }
      break;
    }
    case 'set': {
      const x = new Set((a as Buffer[]).map(str));
      const y = new Set((b as Buffer[]).map(str));
      for (const m of x) if (!y.has(m)) push({ field: printable(Buffer.from(m, 'latin1')), source: 'member', target: '(missing)' });
      for (const m of y) if (!x.has(m)) push({ field: printable(Buffer.from(m, 'latin1')), source: '(missing)', target: 'member' });
      break;
    }
    case 'hash':
    case 'zset': {
      const toMap = (flat: Buffer[]) => {
        const m = new Map<string, Buffer>();
        for (let i = 0; i + 1 < flat.length; i += 2) m.set(str(flat[i]), flat[i + 1]);
        return m;
      };
      const x = toMap(a as Buffer[]);
      const y = toMap(b as Buffer[]);
      const same = (p: Buffer, q: Buffer) => (type === 'zset' ? parseScore(p) === parseScore(q) : p.equals(q));
      for (const [f, v] of x) {
        const w = y.get(f);
        if (!w || !same(v, w)) push({ field: printable(Buffer.from(f, 'latin1')), source: show(v), target: show(w) });
      }
      for (const [f, w] of y) if (!x.has(f)) push({ field: printable(Buffer.from(f, 'latin1')), source: '(missing)', target: show(w) });
      break;
    }
    case 'stream':
      diffs.push(...diffEntries(a as StreamEntry[], b as StreamEntry[], false));
      break;
    default: {
      // Module types: the DUMP payload without its footer (RDB version and CRC64).
      const x = a as Buffer | null;
      const y = b as Buffer | null;
      const body = (p: Buffer | null) => (p && p.length >= 10 ? p.subarray(0, p.length - 10) : p);
      const bx = body(x);
      const by = body(y);
      if (!bx || !by || !bx.equals(by)) push({ field: '(serialized value)', source: x ? `${x.length} bytes` : '(missing)', target: y ? `${y.length} bytes` : '(missing)' });
    }
  }
  return diffs;
}
