/**
 * Test helpers proving that a destination equals a source, as PRODUCT.md defines
 * exactness: per key type, DEBUG DIGEST-VALUE, absolute expire time (PEXPIRETIME)
 * and stream consumer groups. DEBUG DIGEST compares a whole DB cheaply first.
 */
import type Redis from 'ioredis';

export const HEARTBEAT_PREFIX = 'DTS_REDIS_TIMESTAMP_HEARTBEAT';

export interface KeyDifference {
  db: number;
  key: string;
  kind: 'lack_target' | 'lack_source' | 'type' | 'value' | 'ttl' | 'stream_groups';
  source?: string;
  target?: string;
}

export async function debugDigest(client: Redis, db = 0): Promise<string> {
  await client.select(db);
  return String(await client.call('DEBUG', 'DIGEST'));
}

async function allKeys(client: Redis, db: number): Promise<Buffer[]> {
  await client.select(db);
  const keys: Buffer[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await client.scanBuffer(cursor, 'COUNT', 1000);
    cursor = String(next);
    keys.push(...batch);
  } while (cursor !== '0');
  return keys.filter((k) => !k.toString('latin1').startsWith(HEARTBEAT_PREFIX));
}

interface KeyFacts {
  type: string;
  digest: string;
  expireAt: number;
  groups: string;
}

async function keyFacts(client: Redis, key: Buffer): Promise<KeyFacts> {
  const type = String(await client.type(key));
  const digest = String(await client.call('DEBUG', 'DIGEST-VALUE', key));
  const expireAt = Number(await client.call('PEXPIRETIME', key));
  let groups = '';
  if (type === 'stream') {
    const full = await client.call('XINFO', 'STREAM', key, 'FULL');
    groups = JSON.stringify(pick(full, 'groups'));
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
  source: Redis,
  target: Redis,
  dbs: number[] = [0],
  opts: { ttlToleranceMs?: number; dbMap?: Record<number, number> } = {},
): Promise<KeyDifference[]> {
  const diffs: KeyDifference[] = [];
  const tolerance = opts.ttlToleranceMs ?? 0;
  for (const db of dbs) {
    const tdb = opts.dbMap?.[db] ?? db;
    const sourceKeys = await allKeys(source, db);
    const targetKeys = await allKeys(target, tdb);
    const targetSet = new Set(targetKeys.map((k) => k.toString('latin1')));
    const sourceSet = new Set(sourceKeys.map((k) => k.toString('latin1')));
    await source.select(db);
    await target.select(tdb);
    for (const key of sourceKeys) {
      const name = key.toString('latin1');
      if (!targetSet.has(name)) {
        diffs.push({ db, key: name, kind: 'lack_target' });
        continue;
      }
      const [s, t] = await Promise.all([keyFacts(source, key), keyFacts(target, key)]);
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
  await source.select(0);
  await target.select(0);
  return diffs;
}
