/**
 * The compatibility suite's data: every type and encoding a source version has, small enough
 * that 25 pairs stay quick. Keys under `c:` can go to every destination; keys under `x:` hold
 * hash fields with their own expiry (Redis 7.4+, Valkey 9), which older destinations cannot.
 */
import type Redis from 'ioredis';
import { hasFeature, type ServerVersion } from '../../servers/facts';

/** The prefix of keys whose hash fields carry their own expiry. */
export const FIELD_TTL_PREFIX = 'x:';
export const CARRIED_PREFIX = 'c:';
export const FUNCTION_LIBRARY = 'dtscompat';

const FUNCTION_CODE = `#!lua name=${FUNCTION_LIBRARY}
redis.register_function('compat_incr', function(keys, args) return redis.call('INCRBY', keys[1], args[1]) end)`;

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** Writes the dataset; returns what it holds beyond plain keys. */
export async function seedDataset(c: Redis, v: ServerVersion): Promise<{ fieldTtlKeys: string[]; functions: boolean }> {
  const p = c.pipeline();
  const now = Date.now();
  // strings: int, embstr, raw, with expiry, a bitmap, a HyperLogLog
  p.set('c:s:int', '12345');
  p.set('c:s:embstr', 'hello');
  p.set('c:s:raw', 'r'.repeat(200));
  p.set('c:s:ttl', 'expiring');
  p.pexpireat('c:s:ttl', now + 3_600_000);
  p.setbit('c:s:bits', 77, 1);
  p.pfadd('c:s:hll', 'a', 'b', 'c', 'd');
  // lists: small (ziplist / listpack), big (quicklist)
  p.rpush('c:l:small', 'a', 'b', '3', 'd');
  p.rpush('c:l:big', ...range(300).map((i) => `item-${i}`));
  p.rpush('c:l:ttl', 'x', 'y');
  p.pexpireat('c:l:ttl', now + 3_600_000);
  // sets: intset, listpack (7.2+) or hashtable, big hashtable
  p.sadd('c:set:int', 1, 2, 3, 99);
  p.sadd('c:set:small', 'a', 'b', 'c');
  p.sadd('c:set:big', ...range(300).map((i) => `m-${i}`));
  // sorted sets: small (ziplist / listpack), big (skiplist), scores that print differently across versions
  p.zadd('c:z:small', 1, 'a', 2.5, 'b', -3, 'c');
  p.zadd('c:z:big', ...range(300).flatMap((i) => [i / 7, `m-${i}`]));
  p.zadd('c:z:float', 0.1, 'p', 1e-7, 'q', 123456789.123, 'r', 3.3333333333333335, 's');
  p.geoadd('c:z:geo', 13.361389, 38.115556, 'Palermo', 15.087269, 37.502669, 'Catania');
  // hashes: small (ziplist / listpack), big (hashtable)
  p.hset('c:h:small', 'a', '1', 'b', '2', 'f', '1.5');
  p.hset('c:h:big', ...range(300).flatMap((i) => [`f-${i}`, `v-${i}`]));
  // streams: entries, deleted entries, groups with pending entries and consumers
  for (const i of range(20)) p.xadd('c:st', `${1000 + i}-1`, 'n', String(i), 'payload', 'x'.repeat(i));
  p.xdel('c:st', '1003-1', '1007-1');
  p.xgroup('CREATE', 'c:st', 'g1', '0');
  p.xgroup('CREATE', 'c:st', 'g2', '$');
  p.xreadgroup('GROUP', 'g1', 'alice', 'COUNT', 5, 'STREAMS', 'c:st', '>');
  p.xreadgroup('GROUP', 'g1', 'bob', 'COUNT', 3, 'STREAMS', 'c:st', '>');
  p.xack('c:st', 'g1', '1001-1');
  p.xadd('c:st:empty', '5-1', 'a', '1');
  p.xdel('c:st:empty', '5-1');
  if (hasFeature(v, 'setIfeq')) p.set('c:s:ifeq', 'i1');
  await p.exec();

  const fieldTtlKeys: string[] = [];
  if (hasFeature(v, 'fieldTtl')) {
    // listpack-ex (small) and hashtable with metadata (big), some fields with TTLs, one without
    await c.hset('x:h:small', 'a', '1', 'b', '2', 'keep', 'k');
    await c.call('HPEXPIREAT', 'x:h:small', now + 3_600_000, 'FIELDS', 2, 'a', 'b');
    await c.hset('x:h:big', ...range(200).flatMap((i) => [`f-${i}`, `v-${i}`]));
    await c.call('HPEXPIREAT', 'x:h:big', now + 7_200_000, 'FIELDS', 3, 'f-1', 'f-2', 'f-3');
    fieldTtlKeys.push('x:h:small', 'x:h:big');
  }
  let functions = false;
  if (hasFeature(v, 'functions')) {
    await c.call('FUNCTION', 'LOAD', 'REPLACE', FUNCTION_CODE);
    functions = true;
  }
  return { fieldTtlKeys, functions };
}
