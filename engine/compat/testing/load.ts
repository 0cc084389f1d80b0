/**
 * The compatibility suite's write load: the commands a source version's replication stream
 * carries — what clients send, and what the source rewrites them to (Redis 8.0.6 propagates
 * HINCRBYFLOAT as HSETEX … KEEPTTL, HGETEX as HPEXPIREAT/HPERSIST, BLMOVE as LMOVE, XREADGROUP
 * as XCLAIM + XGROUP SETID … ENTRIESREAD, SET … EX as SET … PXAT …). Bounded: `rounds` rounds.
 */
import type Redis from 'ioredis';
import { hasFeature, type Feature, type ServerVersion } from '../../servers/facts';
import { FIELD_TTL_PREFIX } from './dataset';

type Op = { needs?: Feature; fieldTtl?: true; functions?: true; argv: (r: number, now: number) => (string | number)[] };

/** Every op, each for the versions that have it. Keys: `c:` carried everywhere, `x:` hold field TTLs. */
const OPS: Op[] = [
  // strings and the keyspace
  { argv: (r) => ['SET', `c:s:${r % 5}`, `v${r}`] },
  { argv: (r) => ['SET', `c:s:ex:${r % 3}`, `e${r}`, 'EX', 3600] },
  { argv: (r) => ['SET', 'c:s:embstr', `w${r}`, 'KEEPTTL'] },
  { needs: 'setAbsoluteExpiry', argv: (r, now) => ['SET', `c:s:pxat:${r % 3}`, `p${r}`, 'PXAT', now + 3_600_000] },
  { needs: 'setAbsoluteExpiry', argv: (r) => ['SET', 'c:s:get', `g${r}`, 'GET'] },
  { needs: 'setIfeq', argv: (r) => ['SET', 'c:s:ifeq', `i${r + 1}`, 'IFEQ', `i${r}`] },
  { argv: () => ['INCR', 'c:s:int'] },
  { argv: () => ['INCRBYFLOAT', 'c:s:float', '1.25'] },
  { argv: (r) => ['APPEND', 'c:s:raw', `+${r}`] },
  { argv: (r) => ['SETRANGE', 'c:s:range', r % 7, 'z'] },
  { argv: (r) => ['SETBIT', 'c:s:bits', r * 3, 1] },
  { argv: (r) => ['PFADD', 'c:s:hll', `e${r}`] },
  { argv: (r) => ['EXPIRE', `c:s:${r % 5}`, 7200] },
  { argv: (r) => ['PERSIST', `c:s:ex:${(r + 1) % 3}`] },
  { needs: 'expireFlags', argv: (r) => ['EXPIRE', `c:s:${r % 5}`, 9000, 'GT'] },
  { needs: 'setAbsoluteExpiry', argv: (r) => ['GETEX', `c:s:${(r + 2) % 5}`, 'EX', 5000] },
  { needs: 'setAbsoluteExpiry', argv: (r) => ['GETDEL', `c:s:gone:${r % 2}`] },
  { argv: (r) => ['SET', `c:s:gone:${(r + 1) % 2}`, 'x'] },
  { argv: (r) => ['DEL', `c:s:tmp:${r % 2}`] },
  { argv: (r) => ['SET', `c:s:tmp:${(r + 1) % 2}`, 't'] },
  { argv: (r) => ['SET', 'c:s:short', r, 'PX', 150] }, // expires during the load: the source propagates a DEL
  { argv: (r) => ['RENAME', `c:s:${r % 5}`, `c:s:renamed:${r % 2}`] },
  { needs: 'copy', argv: (r) => ['COPY', 'c:l:small', `c:l:copy:${r % 2}`, 'REPLACE'] },
  // lists
  { argv: (r) => ['RPUSH', 'c:l:small', `r${r}`] },
  { argv: (r) => ['LPUSH', 'c:l:big', `l${r}`] },
  { argv: () => ['LPOP', 'c:l:big'] },
  { needs: 'popCount', argv: () => ['RPOP', 'c:l:big', 2] },
  { argv: () => ['RPOPLPUSH', 'c:l:small', 'c:l:other'] },
  { needs: 'lmove', argv: () => ['LMOVE', 'c:l:big', 'c:l:other', 'LEFT', 'RIGHT'] },
  { needs: 'lmove', argv: () => ['BLMOVE', 'c:l:other', 'c:l:small', 'RIGHT', 'LEFT', '0.1'] },
  { needs: 'mpop', argv: () => ['LMPOP', 1, 'c:l:big', 'RIGHT', 'COUNT', 2] },
  { argv: (r) => ['LSET', 'c:l:small', 0, `set${r}`] },
  { argv: () => ['LTRIM', 'c:l:big', 0, 250] },
  { argv: (r) => ['LINSERT', 'c:l:small', 'BEFORE', 'b', `ins${r}`] },
  { argv: () => ['LREM', 'c:l:small', 1, 'd'] },
  // sets
  { argv: (r) => ['SADD', 'c:set:small', `s${r}`] },
  { argv: (r) => ['SADD', 'c:set:int', r * 11] },
  { argv: (r) => ['SREM', 'c:set:big', `m-${r}`] },
  { argv: () => ['SPOP', 'c:set:big'] },
  { argv: (r) => ['SMOVE', 'c:set:small', 'c:set:moved', `s${r}`] },
  { argv: () => ['SINTERSTORE', 'c:set:inter', 'c:set:small', 'c:set:moved'] },
  // sorted sets
  { argv: (r) => ['ZADD', 'c:z:small', r / 3, `z${r}`] },
  { argv: (r) => ['ZINCRBY', 'c:z:big', 0.5, `m-${r}`] },
  { needs: 'zaddGtLt', argv: (r) => ['ZADD', 'c:z:small', 'GT', r, 'a', r - 100, 'b'] },
  { argv: () => ['ZPOPMIN', 'c:z:big'] },
  { argv: (r) => ['ZREM', 'c:z:float', r % 2 ? 'p' : 'nothing'] },
  { argv: () => ['ZUNIONSTORE', 'c:z:union', 2, 'c:z:small', 'c:z:float'] },
  { argv: (r) => ['GEOADD', 'c:z:geo', 2.35 + r / 100, 48.85, `paris${r}`] },
  // hashes: HINCRBYFLOAT is the issue's bug (Redis 8 propagates HSETEX … KEEPTTL)
  { argv: (r) => ['HSET', 'c:h:small', `f${r % 4}`, `${r}`] },
  { argv: () => ['HINCRBY', 'c:h:small', 'a', 2] },
  { argv: () => ['HINCRBYFLOAT', 'c:h:small', 'f', '0.25'] },
  { argv: (r) => ['HDEL', 'c:h:big', `f-${r}`] },
  { argv: (r) => ['HSETNX', 'c:h:big', `new-${r}`, 'n'] },
  { needs: 'hsetex', argv: (r) => ['HSETEX', 'c:h:small', 'KEEPTTL', 'FIELDS', 1, 'k', `${r}`] },
  { needs: 'hgetdel', argv: (r) => ['HGETDEL', 'c:h:big', 'FIELDS', 1, `f-${r + 100}`] },
  { needs: 'hsetex', argv: () => ['HGETEX', 'c:h:small', 'PERSIST', 'FIELDS', 1, 'a'] },
  // hash fields with their own expiry: only on `x:` keys
  { fieldTtl: true, argv: (r) => ['HSET', 'x:h:small', `n${r % 3}`, `${r}`] },
  { fieldTtl: true, argv: () => ['HINCRBYFLOAT', 'x:h:small', 'a', '1.5'] },
  { fieldTtl: true, argv: (r) => ['HEXPIRE', 'x:h:big', 5000 + r, 'FIELDS', 1, `f-${10 + r}`] },
  { fieldTtl: true, argv: (r, now) => ['HPEXPIREAT', 'x:h:small', now + 900_000, 'FIELDS', 1, `n${r % 3}`] },
  { fieldTtl: true, argv: (r) => ['HPERSIST', 'x:h:big', 'FIELDS', 1, `f-${10 + r - 1}`] },
  { fieldTtl: true, needs: 'hsetex', argv: (r, now) => ['HSETEX', 'x:h:big', 'PXAT', now + 800_000, 'FIELDS', 1, `t${r}`, 'v'] },
  { fieldTtl: true, needs: 'hsetex', argv: (r) => ['HSETEX', 'x:h:small', 'KEEPTTL', 'FIELDS', 1, 'b', `${r}`] },
  { fieldTtl: true, needs: 'hsetex', argv: (r) => ['HSETEX', 'x:h:small', 'FNX', 'PX', 600_000, 'FIELDS', 1, `fnx${r}`, 'v'] },
  { fieldTtl: true, needs: 'hsetex', argv: (r) => ['HGETEX', 'x:h:big', 'EX', 4000, 'FIELDS', 1, `f-${50 + r}`] },
  { fieldTtl: true, needs: 'hsetex', argv: (r) => ['HGETEX', 'x:h:big', 'PERSIST', 'FIELDS', 1, `f-${50 + r - 1}`] },
  { fieldTtl: true, needs: 'hgetdel', argv: (r) => ['HGETDEL', 'x:h:big', 'FIELDS', 1, `f-${150 + r}`] },
  // streams
  { argv: (r) => ['XADD', 'c:st', '*', 'r', r] },
  { argv: (r) => ['XADD', 'c:st:capped', 'MAXLEN', '~', 5, '*', 'r', r] },
  { argv: (r) => ['XDEL', 'c:st', `${1010 + (r % 5)}-1`] },
  { argv: () => ['XREADGROUP', 'GROUP', 'g1', 'carol', 'COUNT', 1, 'STREAMS', 'c:st', '>'] },
  { argv: (r) => ['XACK', 'c:st', 'g1', `${1002 + (r % 3)}-1`] },
  { argv: () => ['XCLAIM', 'c:st', 'g1', 'dave', 0, '1004-1'] },
  { needs: 'streamTrimMinid', argv: () => ['XAUTOCLAIM', 'c:st', 'g1', 'erin', 0, '0-0', 'COUNT', 1] },
  { argv: () => ['XTRIM', 'c:st:capped', 'MAXLEN', 3] },
  // a transaction, a script, a function
  { argv: (r) => ['EVAL', "redis.call('SET', KEYS[1], ARGV[1]); return redis.call('INCR', KEYS[2])", 2, 'c:lua:s', 'c:lua:n', `l${r}`] },
  { functions: true, argv: () => ['FCALL', 'compat_incr', 1, 'c:fn:n', 3] },
];

export interface LoadOptions {
  /** Whether the source holds field-TTL hashes (x: keys) to write to. */
  fieldTtl: boolean;
  /** Whether the source holds the suite's function library. */
  functions: boolean;
  rounds?: number;
}

/** The commands of one load, for the report. */
export function loadCommands(v: ServerVersion, opts: LoadOptions): string[] {
  return [...new Set(opsFor(v, opts).map((o) => String(o.argv(0, 0)[0]).toUpperCase()))].sort();
}

function opsFor(v: ServerVersion, opts: LoadOptions): Op[] {
  return OPS.filter((o) => (!o.needs || hasFeature(v, o.needs)) && (!o.fieldTtl || opts.fieldTtl) && (!o.functions || opts.functions));
}

/** Runs the load to its end: `rounds` rounds of every op, one MULTI/EXEC per round. Throws on a reply error. */
export async function runLoad(c: Redis, v: ServerVersion, opts: LoadOptions): Promise<number> {
  const ops = opsFor(v, opts);
  const rounds = opts.rounds ?? 12;
  let commands = 0;
  for (let r = 1; r <= rounds; r++) {
    const now = Date.now();
    const p = c.pipeline();
    for (const op of ops) p.call(...(op.argv(r, now) as [string, ...(string | number)[]]));
    p.call('MULTI');
    p.call('INCR', 'c:tx:n');
    p.call('RPUSH', 'c:tx:l', `t${r}`);
    p.call('EXEC');
    const replies = (await p.exec()) ?? [];
    for (const [i, [err]] of replies.entries()) {
      if (err && !/WRONGTYPE|no such key|ERR no such key/i.test(err.message)) {
        const op = ops[i];
        throw new Error(`load command ${op ? op.argv(r, now).join(' ') : `#${i}`} failed on the source: ${err.message}`);
      }
    }
    commands += ops.length + 4;
    await new Promise((res) => setTimeout(res, 20));
  }
  // The short-lived key may expire on either side between the two sides' reads: end it in the stream.
  await c.del('c:s:short');
  return commands + 1;
}

export { FIELD_TTL_PREFIX };
