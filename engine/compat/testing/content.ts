/**
 * Key-by-key comparison by content, for servers of different versions: `DEBUG DIGEST-VALUE`
 * cannot be compared across them (a sorted set's digest depends on how the server prints
 * doubles, which changed in 7.2), and neither can encodings. Per key: type, value (sorted
 * where order does not matter, scores as numbers), absolute expiry (within a tolerance where a
 * side has no PEXPIRETIME), hash fields' expiry, and stream groups, their pending entries and
 * consumers (what both sides' versions keep).
 */
import type Redis from 'ioredis';
import { isEngineKey } from '../../filter';

export interface ContentDifference {
  key: string;
  what: string;
  source?: string;
  target?: string;
}

interface Side {
  c: Redis;
  db: number;
  /** Redis-compatible major version (PEXPIRETIME since 7.0, field TTLs since 7.4/Valkey 9). */
  hasPexpiretime: boolean;
  hasFieldTtl: boolean;
  hasEntriesRead: boolean;
}

async function keysOf(s: Side, include?: string): Promise<string[]> {
  await s.c.select(s.db);
  const out: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await s.c.scanBuffer(cursor, 'COUNT', 1000);
    cursor = String(next);
    for (const k of keys) if (!isEngineKey(k) && (!include || k.toString().startsWith(include))) out.push(k.toString());
  } while (cursor !== '0');
  return out.sort();
}

async function expireAt(s: Side, key: string): Promise<number> {
  if (s.hasPexpiretime) return Number(await s.c.call('PEXPIRETIME', key));
  const ttl = await s.c.pttl(key);
  return ttl < 0 ? ttl : Date.now() + ttl;
}

type Pairs = [string, string][];

function pairs(flat: string[]): Pairs {
  const out: Pairs = [];
  for (let i = 0; i < flat.length; i += 2) out.push([flat[i], flat[i + 1]]);
  return out;
}

/**
 * What a stream's groups hold that every version keeps: names, last ids, pending entries (id,
 * consumer, deliveries; from XPENDING — Redis 6.0's XINFO STREAM FULL leaves deleted entries
 * out of its pending lists), consumers, and entries-read where both sides have it.
 */
async function streamGroups(s: Side, key: string, withEntriesRead: boolean, lossy: boolean): Promise<string> {
  const map = (arr: unknown[]): Map<string, unknown> => {
    const m = new Map<string, unknown>();
    for (let i = 0; i < arr.length; i += 2) m.set(String(arr[i]), arr[i + 1]);
    return m;
  };
  const info = map((await s.c.call('XINFO', 'STREAM', key)) as unknown[]);
  const groups: string[] = [];
  for (const g of (await s.c.call('XINFO', 'GROUPS', key)) as unknown[][]) {
    const gm = map(g);
    const name = String(gm.get('name'));
    let pending = (await s.c.call('XPENDING', key, name, '-', '+', 100_000)) as unknown[][];
    let consumerRows = ((await s.c.call('XINFO', 'CONSUMERS', key, name)) as unknown[][]).map(map);
    if (lossy) {
      // Only what commands can rebuild on Redis < 6.2: pending entries of messages still in the stream, consumers owning them.
      const live = new Set<string>();
      for (const p of pending) if (((await s.c.call('XRANGE', key, String(p[0]), String(p[0]))) as unknown[]).length) live.add(String(p[0]));
      pending = pending.filter((p) => live.has(String(p[0])));
      const owners = new Set(pending.map((p) => String(p[1])));
      consumerRows = consumerRows.filter((c) => owners.has(String(c.get('name'))));
    }
    const pel = pending.map((p) => `${p[0]}@${p[1]}x${p[3]}`);
    const consumers = consumerRows.map((c) => String(c.get('name'))).sort();
    groups.push(JSON.stringify({
      name, last: gm.get('last-delivered-id'), pel, consumers,
      ...(withEntriesRead ? { read: gm.get('entries-read') } : {}),
    }));
  }
  return JSON.stringify({ length: info.get('length'), last: info.get('last-generated-id'), groups: groups.sort() });
}

async function valueOf(s: Side, key: string, type: string, other: Side, lossy: boolean): Promise<string> {
  const c = s.c;
  switch (type) {
    case 'string': return (await c.getBuffer(key))?.toString('base64') ?? '';
    case 'list': return JSON.stringify(await c.lrange(key, 0, -1));
    case 'set': return JSON.stringify((await c.smembers(key)).sort());
    case 'zset': {
      const flat = await c.zrange(key, 0, -1, 'WITHSCORES');
      return JSON.stringify(pairs(flat).map(([m, sc]) => [m, Number(sc)]));
    }
    case 'hash': {
      const h = await c.hgetall(key);
      const fields = Object.keys(h).sort();
      let ttls: number[] = [];
      if (s.hasFieldTtl && other.hasFieldTtl && fields.length) {
        ttls = ((await c.call('HPEXPIRETIME', key, 'FIELDS', fields.length, ...fields)) as number[]).map(Number);
      }
      return JSON.stringify(fields.map((f, i) => [f, h[f], ttls[i] ?? -1]));
    }
    case 'stream': {
      const entries = await c.xrange(key, '-', '+');
      const both = s.hasEntriesRead && other.hasEntriesRead;
      return JSON.stringify({ entries, groups: await streamGroups(s, key, both, lossy) });
    }
    default: return `<${type}>`;
  }
}

export interface CompareOptions {
  /** Only keys starting with this (the task's prefix filter). */
  include?: string;
  /**
   * Streams were rewritten as commands into a server before 6.2, which has no command that makes a
   * pending entry of a deleted message or a consumer without pending entries: compare what it can hold.
   */
  lossyStreamGroups?: boolean;
}

/** Every difference between the source's DB and the destination's, by content. */
export async function compareContent(source: Side, target: Side, opts: CompareOptions = {}): Promise<ContentDifference[]> {
  const diffs: ContentDifference[] = [];
  const sk = await keysOf(source, opts.include);
  const tk = await keysOf(target, opts.include);
  const tset = new Set(tk);
  const sset = new Set(sk);
  for (const k of sk) if (!tset.has(k)) diffs.push({ key: k, what: 'missing on the destination' });
  for (const k of tk) if (!sset.has(k)) diffs.push({ key: k, what: 'only on the destination' });
  for (const key of sk.filter((k) => tset.has(k))) {
    await source.c.select(source.db);
    const st = await source.c.type(key);
    const sv = await valueOf(source, key, st, target, opts.lossyStreamGroups ?? false);
    const se = await expireAt(source, key);
    await target.c.select(target.db);
    const tt = await target.c.type(key);
    if (st !== tt) { diffs.push({ key, what: 'type', source: st, target: tt }); continue; }
    const tv = await valueOf(target, key, tt, source, opts.lossyStreamGroups ?? false);
    const te = await expireAt(target, key);
    if (sv !== tv) {
      if (process.env.DTS_COMPAT_DEBUG) (await import('node:fs')).appendFileSync(process.env.DTS_COMPAT_DEBUG, `${key}\n${sv}\n${tv}\n\n`);
      diffs.push({ key, what: 'value', source: sv.slice(0, 400), target: tv.slice(0, 400) });
    }
    const tolerance = source.hasPexpiretime && target.hasPexpiretime ? 0 : 1500;
    if ((se < 0) !== (te < 0) || Math.abs(se - te) > tolerance) diffs.push({ key, what: 'expiry', source: String(se), target: String(te) });
  }
  return diffs;
}

export type { Side as ContentSide };
