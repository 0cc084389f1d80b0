/**
 * A source filled with every encoding Redis 7.0 keeps in memory (and so writes to
 * its RDB), for the full-sync tests that must carry each one across.
 */
import type Redis from 'ioredis';

export async function encodingOf(c: Redis, key: string): Promise<string> {
  return String(await c.call('OBJECT', 'ENCODING', key));
}

/**
 * Every encoding Redis 7.0 keeps in memory (and so writes to its RDB), spread over
 * DBs 0, 3 and 15, with expiry on some keys. Returns the encodings seen, by key.
 *
 * Redis 7.0 has no listpack-encoded lists (quicklist only, with packed and plain
 * nodes) and no listpack-encoded sets (intset or hashtable): both came in 7.2.
 */
export async function fillEveryEncoding(c: Redis): Promise<Map<string, string>> {
  const seen = new Map<string, string>();
  const note = async (key: string) => seen.set(key, await encodingOf(c, key));
  const later = Date.now() + 3_600_000;

  await c.select(0);
  // strings: int, embstr, raw; binary key and value
  await c.set('str:int', '12345');
  await c.set('str:neg', '-9007199254740993');
  await c.set('str:embstr', 'hello world');
  await c.set('str:raw', 'r'.repeat(200));
  await c.set(Buffer.from([0x00, 0xff, 0x10, 0x80]), Buffer.from([0xde, 0xad, 0x00, 0xbe, 0xef]));
  await c.set('str:compressible', 'abc'.repeat(5000));
  for (const k of ['str:int', 'str:embstr', 'str:raw']) await note(k);
  await c.set('str:ttl', 'x', 'PXAT', later);
  await c.set('str:ttl-int', '7', 'PXAT', later + 1);

  // lists: quicklist of listpack nodes, a >8KB element, plain nodes, many nodes
  await c.rpush('list:small', 'a', 'b', '1', '2', '-3', '4294967296');
  await c.rpush('list:big-element', 'head', 'e'.repeat(9000), 'tail');
  await c.call('DEBUG', 'QUICKLIST-PACKED-THRESHOLD', '1000');
  await c.rpush('list:plain', 'small', 'p'.repeat(5000), 'again', 'q'.repeat(1500));
  await c.call('DEBUG', 'QUICKLIST-PACKED-THRESHOLD', String(1024 * 1024 * 1024));
  const many: string[] = [];
  for (let i = 0; i < 3000; i++) many.push(i % 3 === 0 ? String(i) : `item-${i}`);
  await c.rpush('list:many-nodes', ...many);
  await c.pexpireat('list:many-nodes', later);
  for (const k of ['list:small', 'list:big-element', 'list:plain', 'list:many-nodes']) await note(k);

  // sets: intset (16/32/64-bit), hashtable
  await c.sadd('set:intset16', 1, 2, 3, -4);
  await c.sadd('set:intset64', 1, 4294967296, -9223372036854775808n.toString());
  await c.sadd('set:hashtable', 'a', 'b', 'c', '1');
  const members: string[] = [];
  for (let i = 0; i < 600; i++) members.push(String(i * 7));
  await c.sadd('set:intset-to-hashtable', ...members); // > set-max-intset-entries (512)
  for (const k of ['set:intset16', 'set:intset64', 'set:hashtable', 'set:intset-to-hashtable']) await note(k);

  // sorted sets: listpack, skiplist; inf/-inf, negative zero, decimals
  await c.zadd('zset:listpack', '-inf', 'minus', 'inf', 'plus', '1.5', 'a', '0', 'zero', '-2.25', 'b', '3.141592653589793', 'pi');
  const zargs: string[] = [];
  for (let i = 0; i < 200; i++) zargs.push(String(i / 3), `m${i}`);
  await c.zadd('zset:skiplist', '-inf', 'lo', 'inf', 'hi', ...zargs);
  await c.zadd('zset:long-member', 1, 'm'.repeat(100)); // > zset-max-listpack-value: skiplist
  for (const k of ['zset:listpack', 'zset:skiplist', 'zset:long-member']) await note(k);

  // hashes: listpack, hashtable
  await c.hset('hash:listpack', 'f1', 'v1', 'n', '42', 'neg', '-1');
  const hargs: string[] = [];
  for (let i = 0; i < 300; i++) hargs.push(`field${i}`, i % 2 ? String(i) : `value-${i}`);
  await c.hset('hash:hashtable', ...hargs);
  await c.hset('hash:long-value', 'f', 'v'.repeat(100));
  await c.pexpireat('hash:hashtable', later + 2);
  for (const k of ['hash:listpack', 'hash:hashtable', 'hash:long-value']) await note(k);

  // streams: several listpack nodes, deletions, groups, PEL, consumers with and without pending entries
  for (let i = 1; i <= 250; i++) await c.xadd('stream:full', `${1000 + i}-${i % 3}`, 'n', String(i), 'pad', 'x'.repeat(i % 17));
  await c.xdel('stream:full', '1005-2', '1010-1', '1100-1');
  await c.xgroup('CREATE', 'stream:full', 'g1', '0');
  await c.xgroup('CREATE', 'stream:full', 'g2', '$');
  await c.xgroup('CREATE', 'stream:full', 'g3', '1050-0');
  await c.xreadgroup('GROUP', 'g1', 'alice', 'COUNT', 5, 'STREAMS', 'stream:full', '>');
  await c.xreadgroup('GROUP', 'g1', 'bob', 'COUNT', 3, 'STREAMS', 'stream:full', '>');
  await c.xack('stream:full', 'g1', '1002-2');
  await c.xgroup('CREATECONSUMER', 'stream:full', 'g1', 'carol');
  await c.xreadgroup('GROUP', 'g3', 'dave', 'COUNT', 2, 'STREAMS', 'stream:full', '>');
  await c.xadd('stream:empty-with-group', '5-5', 'a', 'b');
  await c.xdel('stream:empty-with-group', '5-5');
  await c.xgroup('CREATE', 'stream:empty-with-group', 'g', '$');
  await c.xadd('stream:trimmed', 'MAXLEN', '2', '*', 'a', '1');
  for (let i = 0; i < 5; i++) await c.xadd('stream:trimmed', 'MAXLEN', '2', '*', 'a', String(i));
  await c.pexpireat('stream:trimmed', later + 3);
  for (const k of ['stream:full']) await note(k);

  // other DBs
  await c.select(3);
  await c.set('db3:str', 'three');
  await c.hset('db3:hash', 'a', '1');
  await c.zadd('db3:zset', 1, 'x');
  await c.set('db3:ttl', 'v', 'PXAT', later + 4);
  await c.select(15);
  await c.sadd('db15:set', 'only', 'here');
  await c.rpush('db15:list', 'x');
  await c.select(0);
  return seen;
}
