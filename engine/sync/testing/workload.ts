/**
 * A write load that runs every command of the product's supported list
 * (DESIGN.md), plus transactions, Lua scripts, expiry, renames, moves, copies,
 * blocking pops, *STORE commands, streams with consumer groups, SWAPDB and
 * FLUSHDB — the commands a master then sends in its stream (often rewritten:
 * EXPIRE → PEXPIREAT, SPOP → SREM, EVAL → MULTI…EXEC, …).
 */
import type Redis from 'ioredis';

/** DBs the load writes to (SWAPDB swaps 5 and 6; FLUSHDB empties 7 now and then). */
export const WORKLOAD_DBS = [0, 2, 5, 6, 7];

/** DESIGN.md's supported commands for incremental sync, verbatim. */
export const DESIGN_COMMANDS = [
  'APPEND', 'BITOP', 'BLPOP', 'BRPOP', 'BRPOPLPUSH', 'DECR', 'DECRBY', 'DEL', 'EVAL', 'EVALSHA', 'EXEC', 'EXPIRE', 'EXPIREAT',
  'GEOADD', 'GETSET', 'HDEL', 'HINCRBY', 'HINCRBYFLOAT', 'HMSET', 'HSET', 'HSETNX', 'INCR', 'INCRBY', 'INCRBYFLOAT', 'LINSERT',
  'LPOP', 'LPUSH', 'LPUSHX', 'LREM', 'LSET', 'LTRIM', 'MOVE', 'MSET', 'MSETNX', 'MULTI', 'PERSIST', 'PEXPIRE', 'PEXPIREAT',
  'PFADD', 'PFMERGE', 'PSETEX', 'RENAME', 'RENAMENX', 'RESTORE', 'RPOP', 'RPOPLPUSH', 'RPUSH', 'RPUSHX', 'SADD', 'SDIFFSTORE',
  'SELECT', 'SET', 'SETBIT', 'SETEX', 'SETNX', 'SETRANGE', 'SINTERSTORE', 'SMOVE', 'SPOP', 'SREM', 'SUNIONSTORE', 'ZADD',
  'ZINCRBY', 'ZINTERSTORE', 'ZREM', 'ZREMRANGEBYLEX', 'ZUNIONSTORE', 'ZREMRANGEBYRANK', 'ZREMRANGEBYSCORE', 'SWAPDB', 'UNLINK',
  'XADD', 'XCLAIM', 'XDEL', 'XAUTOCLAIM', 'XGROUP CREATECONSUMER', 'XTRIM',
] as const;

/** The commands one round sends (as typed by a client), for coverage checks. */
export const WORKLOAD_COMMANDS = [
  'APPEND', 'BITOP', 'BLPOP', 'BRPOP', 'BRPOPLPUSH', 'DECR', 'DECRBY', 'DEL', 'EVAL', 'EVALSHA', 'EXEC', 'EXPIRE', 'EXPIREAT',
  'GEOADD', 'GETSET', 'HDEL', 'HINCRBY', 'HINCRBYFLOAT', 'HMSET', 'HSET', 'HSETNX', 'INCR', 'INCRBY', 'INCRBYFLOAT', 'LINSERT',
  'LPOP', 'LPUSH', 'LPUSHX', 'LREM', 'LSET', 'LTRIM', 'MOVE', 'MSET', 'MSETNX', 'MULTI', 'PERSIST', 'PEXPIRE', 'PEXPIREAT',
  'PFADD', 'PFMERGE', 'PSETEX', 'RENAME', 'RENAMENX', 'RESTORE', 'RPOP', 'RPOPLPUSH', 'RPUSH', 'RPUSHX', 'SADD', 'SDIFFSTORE',
  'SELECT', 'SET', 'SETBIT', 'SETEX', 'SETNX', 'SETRANGE', 'SINTERSTORE', 'SMOVE', 'SPOP', 'SREM', 'SUNIONSTORE', 'ZADD',
  'ZINCRBY', 'ZINTERSTORE', 'ZREM', 'ZREMRANGEBYLEX', 'ZUNIONSTORE', 'ZREMRANGEBYRANK', 'ZREMRANGEBYSCORE', 'SWAPDB', 'UNLINK',
  'XADD', 'XCLAIM', 'XDEL', 'XAUTOCLAIM', 'XGROUP', 'XTRIM',
  // beyond the list: what a real master also sends
  'LMOVE', 'BLMOVE', 'COPY', 'XREADGROUP', 'XACK', 'XSETID', 'FLUSHDB', 'GETDEL', 'GETEX', 'ZPOPMIN', 'BZPOPMAX', 'LMPOP',
  'ZRANGESTORE', 'ZDIFFSTORE', 'SORT', 'BITFIELD', 'GEOSEARCHSTORE', 'SETRANGE', 'FUNCTION', 'FCALL', 'HSETNX',
] as const;

const SCRIPT = `
redis.call('INCR', KEYS[1])
redis.call('HSET', KEYS[2], 'by-script', ARGV[1])
if redis.call('EXISTS', KEYS[3]) == 1 then redis.call('LPUSH', KEYS[3], ARGV[1]) end
return redis.call('GET', KEYS[1])`;

const LIBRARY = `#!lua name=dtslib
redis.register_function('dts_bump', function(keys, args) return redis.call('INCRBY', keys[1], args[1]) end)`;

/** One round of writes; `r` makes keys and values differ between rounds (keys repeat every 50 rounds). */
export async function writeRound(c: Redis, r: number): Promise<void> {
  const k = (name: string) => `w:${name}:${r % 50}`;
  const later = Date.now() + 3_600_000;
  await c.select(0);

  // strings
  await c.set(k('s'), `v${r}`);
  await c.append(k('s'), '-appended');
  await c.setrange(k('s'), 1, 'XY');
  await c.incr(k('n'));
  await c.incrby(k('n'), 5);
  await c.decr(k('n'));
  await c.decrby(k('n'), 2);
  await c.incrbyfloat(k('f'), 1.25);
  await c.getset(k('gs'), `old${r}`);
  await c.setnx(k('nx'), 'first');
  await c.setex(k('ex'), 3600, 'secs');
  await c.psetex(k('px'), 3_600_000, 'millis');
  await c.mset(k('m1'), 'a', k('m2'), 'b');
  await c.msetnx(k('mnx1'), `x${r}`, k('mnx2'), `y${r}`);
  await c.setbit(k('bits'), (r * 7) % 64, 1);
  await c.call('BITFIELD', k('bf'), 'INCRBY', 'u8', 0, 3);
  await c.set(k('b1'), 'abc');
  await c.set(k('b2'), 'xyz');
  await c.call('BITOP', 'XOR', k('bitop'), k('b1'), k('b2'));
  await c.set(k('getdel'), 'gone');
  await c.getdel(k('getdel'));
  await c.set(k('getex'), 'ttl-later');
  await c.call('GETEX', k('getex'), 'EX', 7200);

  // expiry
  await c.set(k('e1'), '1');
  await c.expire(k('e1'), 3600);
  await c.set(k('e2'), '2');
  await c.pexpire(k('e2'), 3_600_000);
  await c.set(k('e3'), '3');
  await c.expireat(k('e3'), Math.floor(later / 1000));
  await c.set(k('e4'), '4', 'PX', 3_600_000);
  await c.pexpireat(k('e4'), later + 5);
  await c.persist(k('e4'));
  await c.set(k('short'), 'expires soon', 'PX', 50 + (r % 5) * 20); // active or lazy expiry on the source

  // keyspace
  await c.set(k('ren-a'), `ren${r}`);
  await c.rename(k('ren-a'), k('ren-b'));
  await c.set(k('rnx'), 'src');
  await c.renamenx(k('rnx'), k('rnx-dst'));
  await c.del(k('m1'));
  await c.unlink(k('m2'));
  await c.set(k('dump-src'), `dumped-${r}`);
  const dump = await c.dumpBuffer(k('dump-src'));
  await c.call('RESTORE', k('restored'), 0, dump, 'REPLACE');
  await c.set(k('mv'), `move-me-${r}`);
  await c.call('SELECT', 2);
  await c.del(k('mv'));
  await c.call('SELECT', 0);
  await c.move(k('mv'), 2);
  await c.set(k('cp'), `copy-${r}`);
  await c.call('COPY', k('cp'), k('cp-local'), 'REPLACE');
  await c.call('COPY', k('cp'), k('cp-db2'), 'DB', 2, 'REPLACE');

  // lists
  await c.del(k('l'));
  await c.rpush(k('l'), 'a', 'b', 'c', 'd', 'e', 'f');
  await c.lpush(k('l'), 'z');
  await c.lpushx(k('l'), 'y');
  await c.rpushx(k('l'), 'g');
  await c.linsert(k('l'), 'BEFORE', 'c', 'bc');
  await c.lset(k('l'), 0, 'first');
  await c.lrem(k('l'), 1, 'd');
  await c.lpop(k('l'));
  await c.rpop(k('l'));
  await c.blpop(k('l'), 1);
  await c.brpop(k('l'), 1);
  await c.rpoplpush(k('l'), k('l2'));
  await c.brpoplpush(k('l'), k('l2'), 1);
  await c.lmove(k('l'), k('l2'), 'LEFT', 'RIGHT');
  await c.blmove(k('l2'), k('l'), 'RIGHT', 'LEFT', 1);
  await c.call('LMPOP', 1, k('l2'), 'LEFT', 'COUNT', 1);
  await c.rpush(k('l'), 'x', 'y', 'z');
  await c.ltrim(k('l'), 0, 4);

  // sets
  await c.sadd(k('s1'), 'a', 'b', 'c', String(r));
  await c.sadd(k('s2'), 'b', 'c', 'd');
  await c.srem(k('s1'), 'a');
  await c.spop(k('s1'));
  await c.smove(k('s2'), k('s1'), 'd');
  await c.sunionstore(k('su'), k('s1'), k('s2'));
  await c.sinterstore(k('si'), k('s1'), k('s2'));
  await c.sdiffstore(k('sd'), k('s1'), k('s2'));

  // sorted sets
  await c.zadd(k('z1'), 1, 'a', 2, 'b', 3, 'c', 4, 'd', '-inf', 'lo', 'inf', 'hi');
  await c.zadd(k('z2'), 5, 'b', 6, 'e');
  await c.zincrby(k('z1'), 1.5, 'a');
  await c.zrem(k('z1'), 'c');
  await c.zadd(k('zl'), 0, 'aa', 0, 'bb', 0, 'cc', 0, 'dd');
  await c.zremrangebylex(k('zl'), '[bb', '[cc');
  await c.zadd(k('zr'), 1, 'a', 2, 'b', 3, 'c');
  await c.zremrangebyrank(k('zr'), 0, 0);
  await c.zremrangebyscore(k('zr'), 3, 3);
  await c.zunionstore(k('zu'), 2, k('z1'), k('z2'), 'WEIGHTS', 1, 2);
  await c.zinterstore(k('zi'), 2, k('z1'), k('z2'));
  await c.call('ZDIFFSTORE', k('zd'), 2, k('z1'), k('z2'));
  await c.call('ZRANGESTORE', k('zrs'), k('z1'), 0, 2);
  await c.zpopmin(k('z2'));
  await c.call('BZPOPMAX', k('z1'), 1);

  // hashes
  await c.hset(k('h'), 'f1', 'v1', 'f2', 'v2', 'n', '1');
  await c.hmset(k('h'), 'f3', 'v3');
  await c.hsetnx(k('h'), 'f4', `v4-${r}`);
  await c.hdel(k('h'), 'f2');
  await c.hincrby(k('h'), 'n', 3);
  await c.hincrbyfloat(k('h'), 'fl', 0.1);

  // hyperloglog, geo, sort
  await c.pfadd(k('hll1'), 'a', 'b', `c${r}`);
  await c.pfadd(k('hll2'), 'x');
  await c.pfmerge(k('hllm'), k('hll1'), k('hll2'));
  await c.geoadd(k('geo'), 13.361389, 38.115556, 'Palermo', 15.087269, 37.502669, 'Catania');
  await c.call('GEOSEARCHSTORE', k('geost'), k('geo'), 'FROMLONLAT', 15, 37, 'BYRADIUS', 200, 'km', 'ASC');
  await c.rpush(k('sortme'), '3', '1', '2');
  await c.call('SORT', k('sortme'), 'STORE', k('sorted'));

  // streams with groups
  const sk = k('st');
  const id = await c.xadd(sk, '*', 'round', String(r), 'f', 'v');
  await c.xadd(sk, '*', 'round', String(r), 'g', 'w');
  await c.xadd(sk, '*', 'round', String(r), 'h', 'x');
  if (r % 50 === r) {
    await c.xgroup('CREATE', sk, 'grp', '0');
    await c.xgroup('CREATECONSUMER', sk, 'grp', 'idle-consumer');
  }
  await c.xreadgroup('GROUP', 'grp', 'reader', 'COUNT', 2, 'STREAMS', sk, '>');
  await c.xack(sk, 'grp', String(id));
  await c.xclaim(sk, 'grp', 'claimer', 0, String(id), 'FORCE');
  await c.xautoclaim(sk, 'grp', 'autoclaimer', 0, '0-0', 'COUNT', 1);
  await c.xdel(sk, String(id));
  await c.xtrim(sk, 'MAXLEN', 20);
  const last = await c.xadd(sk, '*', 'end', String(r));
  await c.call('XSETID', sk, String(last));
  await c.xgroup('SETID', sk, 'grp', '$');

  // transactions and scripts (7.0 replicates scripts as their effects inside MULTI/EXEC)
  await c.multi().incr(k('tx')).hset(k('txh'), 'r', String(r)).lpush(k('txl'), String(r)).exec();
  await c.multi().set(k('tx-db'), 'db0').select(2).set(k('tx-db'), 'db2').select(0).exec();
  await c.eval(SCRIPT, 3, k('sc-n'), k('sc-h'), k('l'), String(r));
  const sha = String(await c.script('LOAD', SCRIPT));
  await c.evalsha(sha, 3, k('sc-n'), k('sc-h'), k('l'), `sha${r}`);
  await c.call('FUNCTION', 'LOAD', 'REPLACE', LIBRARY);
  await c.call('FCALL', 'dts_bump', 1, k('fc'), 2);

  // other DBs: SWAPDB and FLUSHDB
  await c.select(5);
  await c.set(`db5:${r % 50}`, `five-${r}`);
  await c.select(6);
  await c.hset(`db6:${r % 50}`, 'r', String(r));
  await c.call('SWAPDB', 5, 6);
  await c.select(7);
  await c.set(`db7:${r}`, 'scratch');
  if (r % 7 === 6) await c.flushdb();
  await c.select(0);
}

export interface Workload {
  /** Rounds completed so far (throws the load's error if a write failed). */
  rounds: () => number;
  /** Finishes the current round; resolves with the rounds done (rejects with the first write error). */
  stop: () => Promise<number>;
}

/** Runs rounds until `stop()`. */
export function startWorkload(c: Redis, firstRound = 0): Workload {
  let stopping = false;
  let r = firstRound;
  let failure: unknown;
  const done = (async () => {
    while (!stopping) {
      await writeRound(c, r);
      r++;
    }
    return r - firstRound;
  })();
  done.catch((err: unknown) => {
    failure = err;
  });
  return {
    rounds: () => {
      if (failure) throw failure;
      return r - firstRound;
    },
    stop: async () => {
      stopping = true;
      return done;
    },
  };
}

/**
 * Big transactions (MULTI, 200 INCRBY and an RPUSH, EXEC) in a loop: their bytes
 * dominate the stream, so a link broken at a random moment likely breaks inside one.
 * A transaction lost or applied twice shows as a different counter or log.
 */
export function startTransactionLoad(c: Redis): Workload {
  let stopping = false;
  let n = 0;
  let failure: unknown;
  const done = (async () => {
    while (!stopping) {
      const tx = c.multi();
      for (let i = 0; i < 200; i++) tx.incrby(`tx:counter:${i % 20}`, i + 1);
      tx.rpush('tx:log', String(n));
      await tx.exec();
      n++;
    }
    return n;
  })();
  done.catch((err: unknown) => {
    failure = err;
  });
  return {
    rounds: () => {
      if (failure) throw failure;
      return n;
    },
    stop: async () => {
      stopping = true;
      return done;
    },
  };
}
