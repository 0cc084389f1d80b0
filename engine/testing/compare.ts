/**
 * Test helpers proving that a destination equals a source, as PRODUCT.md defines
 * exactness: per key type, DEBUG DIGEST-VALUE, absolute expire time (PEXPIRETIME)
 * and stream consumer groups. DEBUG DIGEST compares a whole DB cheaply first.
 * Either side may be one server (an ioredis client) or a cluster (its masters).
 */
import Redis from 'ioredis';
import { keySlot } from '../cluster/slot';
import { isEngineKey } from '../filter';

export interface KeyDifference {
  db: number;
  key: string;
  kind: 'lack_target' | 'lack_source' | 'type' | 'value' | 'ttl' | 'stream_groups';
  source?: string;
  target?: string;
}

/** A cluster side: one client per master, and which master owns each slot. */
export interface ClusterSide {
  kind: 'cluster';
  masters: Redis[];
  slotOwner: Int16Array;
}

export type Side = Redis | ClusterSide;

/** Reads CLUSTER SLOTS once; the clients must stay open while comparing. */
export async function clusterSide(ports: number[], password?: string): Promise<ClusterSide> {
  const masters = ports.map((port) => new Redis({ host: '127.0.0.1', port, password, maxRetriesPerRequest: 1 }));
  const slots = (await masters[0].call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
  const slotOwner = new Int16Array(16384).fill(-1);
  for (const [start, end, [, port]] of slots) slotOwner.fill(ports.indexOf(Number(port)), start, end + 1);
  return { kind: 'cluster', masters, slotOwner };
}

export function closeSide(side: Side): void {
  if (side instanceof Redis) side.disconnect();
  else for (const m of side.masters) m.disconnect();
}

function isCluster(side: Side): side is ClusterSide {
  return !(side instanceof Redis);
}

function clientFor(side: Side, key: Buffer): Redis {
  return isCluster(side) ? side.masters[side.slotOwner[keySlot(key)]] : side;
}

/** Keys in the selected DB that are data (the engine's heartbeat and task records left out). */
export async function dataKeyCount(client: Redis): Promise<number> {
  let engineKeys = 0;
  let cursor = '0';
  do {
    const [next, keys] = await client.scanBuffer(cursor, 'MATCH', 'DTS_REDIS_*', 'COUNT', 1000);
    cursor = String(next);
    engineKeys += keys.filter((k) => isEngineKey(k)).length;
  } while (cursor !== '0');
  return (await client.dbsize()) - engineKeys;
}

export async function debugDigest(client: Redis, db = 0): Promise<string> {
  await client.select(db);
  return String(await client.call('DEBUG', 'DIGEST'));
}

async function scanAll(client: Redis, db: number): Promise<Buffer[]> {
  await client.select(db);
  const keys: Buffer[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await client.scanBuffer(cursor, 'COUNT', 1000);
    cursor = String(next);
    keys.push(...batch);
  } while (cursor !== '0');
  return keys.filter((k) => !isEngineKey(k));
}

async function allKeys(side: Side, db: number): Promise<Buffer[]> {
  if (!isCluster(side)) return scanAll(side, db);
  if (db !== 0) return [];
  return (await Promise.all(side.masters.map((m) => scanAll(m, 0)))).flat();
}

async function selectDb(side: Side, db: number): Promise<void> {
  if (isCluster(side)) return;
  await side.select(db);
}

interface KeyFacts {
  type: string;
  digest: string;
  expireAt: number;
  groups: string;
}

/** Fields of XINFO STREAM FULL's groups that a native replica does not hold as its master does (Redis 7.0: entries-read, lag, seen-time). */
const REPLICA_GROUP_FIELDS = new Set(['entries-read', 'lag']);
const REPLICA_CONSUMER_FIELDS = new Set(['seen-time', 'active-time']);

function withoutFields(flat: unknown, drop: Set<string>): unknown {
  if (!Array.isArray(flat)) return flat;
  const out: unknown[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) if (!drop.has(String(flat[i]))) out.push(flat[i], flat[i + 1]);
  return out;
}

/** Groups as a replica of the source would hold them (see REPLICA_GROUP_FIELDS). */
function asReplicaHolds(groups: unknown): unknown {
  if (!Array.isArray(groups)) return groups;
  return groups.map((g) => {
    const group = withoutFields(g, REPLICA_GROUP_FIELDS) as unknown[];
    const at = group.findIndex((v, i) => i % 2 === 0 && String(v) === 'consumers');
    if (at >= 0 && Array.isArray(group[at + 1])) group[at + 1] = (group[at + 1] as unknown[]).map((c) => withoutFields(c, REPLICA_CONSUMER_FIELDS));
    return group;
  });
}

async function keyFacts(side: Side, key: Buffer, replicaMetadata = false): Promise<KeyFacts> {
  const client = clientFor(side, key);
  const type = String(await client.type(key));
  const digest = String(await client.call('DEBUG', 'DIGEST-VALUE', key));
  const expireAt = Number(await client.call('PEXPIRETIME', key));
  let groups = '';
  if (type === 'stream') {
    const full = await client.call('XINFO', 'STREAM', key, 'FULL');
    const g = pick(full, 'groups');
    groups = JSON.stringify(replicaMetadata ? asReplicaHolds(g) : g);
  }
  return { type, digest, expireAt, groups };
}

/** Find a field in a RESP flat map reply ([k, v, k, v, ...]). */
function pick(reply: unknown, field: string): unknown {
  if (!Array.isArray(reply)) return undefined;
  for (let i = 0; i + 1 < reply.length; i += 2) if (String(reply[i]) === field) return reply[i + 1];
  return undefined;
}

/**
 * Compare every key of the given DBs. `ttlToleranceMs` allows for expiry set
 * relative to "now" by old servers; PEXPIRETIME is absolute so 0 is the norm.
 */
export async function compareKeyByKey(
  source: Side,
  target: Side,
  dbs: number[] = [0],
  opts: {
    ttlToleranceMs?: number;
    dbMap?: Record<number, number>;
    /** Stream groups compared as a native replica holds them (the relay: the destination is one). */
    replicaMetadata?: boolean;
  } = {},
): Promise<KeyDifference[]> {
  const diffs: KeyDifference[] = [];
  const tolerance = opts.ttlToleranceMs ?? 0;
  for (const db of dbs) {
    const tdb = opts.dbMap?.[db] ?? db;
    const sourceKeys = await allKeys(source, db);
    const targetKeys = await allKeys(target, tdb);
    const targetSet = new Set(targetKeys.map((k) => k.toString('latin1')));
    const sourceSet = new Set(sourceKeys.map((k) => k.toString('latin1')));
    await selectDb(source, db);
    await selectDb(target, tdb);
    for (const key of sourceKeys) {
      const name = key.toString('latin1');
      if (!targetSet.has(name)) {
        diffs.push({ db, key: name, kind: 'lack_target' });
        continue;
      }
      const [s, t] = await Promise.all([keyFacts(source, key, opts.replicaMetadata), keyFacts(target, key, opts.replicaMetadata)]);
      if (s.type !== t.type) {
        diffs.push({ db, key: name, kind: 'type', source: s.type, target: t.type });
        continue;
      }
      const ttlPresenceDiffers = (s.expireAt < 0) !== (t.expireAt < 0);
      if (ttlPresenceDiffers || Math.abs(s.expireAt - t.expireAt) > tolerance)
        diffs.push({ db, key: name, kind: 'ttl', source: String(s.expireAt), target: String(t.expireAt) });
      // DIGEST-VALUE mixes in whether the key has an expiry, so it only speaks of the value when both agree on that.
      if (!ttlPresenceDiffers && s.digest !== t.digest)
        diffs.push({ db, key: name, kind: 'value', source: s.digest, target: t.digest });
      if (s.groups !== t.groups) diffs.push({ db, key: name, kind: 'stream_groups', source: s.groups, target: t.groups });
    }
    for (const name of targetSet) if (!sourceSet.has(name)) diffs.push({ db, key: name, kind: 'lack_source' });
  }
  await selectDb(source, 0);
  await selectDb(target, 0);
  return diffs;
}
