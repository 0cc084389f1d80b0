/**
 * Test-only helpers for the verifier's tests: a dataset with every type (big
 * keys, streams with consumer groups, expiries, binary names) and an exact copy
 * made with DUMP / RESTORE … ABSTTL.
 */
import type Redis from 'ioredis';

type Client = Redis | import('ioredis').Cluster;

export const BINARY_KEY = Buffer.from([0x62, 0x69, 0x6e, 0xff, 0x00, 0x0a]);

/** Keys of every type under `prefix` (use a {tag} prefix for a cluster multi-key safety). */
export async function populate(c: Client, prefix = '', opts: { bigHashFields?: number } = {}): Promise<void> {
  const p = c.pipeline();
  p.set(`${prefix}str`, 'hello world');
  p.set(`${prefix}int`, '12345');
  p.set(`${prefix}bigstr`, 'x'.repeat(700_000) + 'y');
  p.set(`${prefix}ttl`, 'expiring', 'PX', 3_600_000);
  p.hset(`${prefix}hash`, { a: '1', b: '2', c: 'three' });
  p.rpush(`${prefix}list`, 'a', 'b', 'c', 'a');
  p.sadd(`${prefix}set`, 'x', 'y', 'z');
  p.sadd(`${prefix}intset`, '1', '2', '3');
  p.zadd(`${prefix}zset`, 1, 'm1', 2, 'm2', 3.5, 'm3', '+inf', 'top');
  p.set(Buffer.concat([Buffer.from(prefix), BINARY_KEY]), Buffer.from([0, 1, 2, 255]));
  const bigList: string[] = [];
  for (let i = 0; i < 3000; i++) bigList.push(`item${i}`);
  p.rpush(`${prefix}biglist`, ...bigList);
  const bigSet: string[] = [];
  for (let i = 0; i < 3000; i++) bigSet.push(`member${i}`);
  p.sadd(`${prefix}bigset`, ...bigSet);
  const bigZ: (string | number)[] = [];
  for (let i = 0; i < 3000; i++) bigZ.push(i / 3, `z${i}`);
  p.zadd(`${prefix}bigzset`, ...bigZ);
  await p.exec();
  await bigHash(c, `${prefix}bighash`, opts.bigHashFields ?? 10_000);
  // A stream with deleted entries, a consumer group with pending entries and two consumers.
  const s = `${prefix}stream`;
  for (let i = 1; i <= 20; i++) await c.xadd(s, `${i}-0`, 'n', String(i), 'body', `entry ${i}`);
  await c.xdel(s, '5-0');
  await c.xgroup('CREATE', s, 'g', '0');
  await c.xgroup('CREATE', s, 'other', '$');
  await c.xreadgroup('GROUP', 'g', 'alice', 'COUNT', 3, 'STREAMS', s, '>');
  await c.xreadgroup('GROUP', 'g', 'bob', 'COUNT', 2, 'STREAMS', s, '>');
  await c.xack(s, 'g', '2-0');
  // A big stream, read in chunks.
  const bs = c.pipeline();
  for (let i = 1; i <= 1500; i++) bs.xadd(`${prefix}bigstream`, `${i}-1`, 'k', `v${i}`);
  await bs.exec();
}

export async function bigHash(c: Client, key: string, fields: number): Promise<void> {
  for (let start = 0; start < fields; start += 2000) {
    const h: Record<string, string> = {};
    for (let i = start; i < Math.min(fields, start + 2000); i++) h[`f${i}`] = `value-${i}`;
    await c.hset(key, h);
  }
}

async function keysOf(c: Redis): Promise<Buffer[]> {
  const out: Buffer[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await c.scanBuffer(cursor, 'COUNT', 1000);
    cursor = String(next);
    out.push(...keys);
  } while (cursor !== '0');
  return out;
}

/** Copies every key of `from`'s current DB into `to`'s current DB exactly (value, groups, absolute expiry). */
export async function copyDb(from: Redis | Redis[], to: Client): Promise<number> {
  let n = 0;
  for (const src of Array.isArray(from) ? from : [from]) {
    for (const key of await keysOf(src)) {
      const [dump, expireAt] = await Promise.all([src.dumpBuffer(key), src.call('PEXPIRETIME', key) as Promise<number>]);
      if (!dump) continue;
      await to.call('RESTORE', key, Number(expireAt) > 0 ? Number(expireAt) : 0, dump, 'REPLACE', ...(Number(expireAt) > 0 ? ['ABSTTL'] : []));
      n++;
    }
  }
  return n;
}
