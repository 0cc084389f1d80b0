/**
 * Test-only write load for the verifier's tests: a loop of pipelined writes that
 * mutate, shrink, delete, retype and expire keys of every type — big ones too, so
 * the chunked reads see them move — until it is stopped.
 */
import type Redis from 'ioredis';

/** Big enough for the chunked path (more than compare.ts's WHOLE_ELEMENTS / WHOLE_BYTES). */
export const LOAD_BIG_ELEMENTS = 1600;
const BIG_STRING_BYTES = 600_000;

/** Small deterministic PRNG, so a failing run can be replayed with its seed. */
function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 0x1_0000_0000;
  };
}

type Pipeline = ReturnType<Redis['pipeline']>;

function range(n: number, f: (i: number) => string | string[]): string[] {
  return Array.from({ length: n }, (_, i) => f(i)).flat();
}

/** (Re)creates the big keys under `prefix`: list, hash, set, sorted set, string, stream with a group. */
export function buildBig(p: Pipeline, prefix: string, which?: 'list' | 'hash' | 'set' | 'zset' | 'string' | 'stream'): void {
  const n = LOAD_BIG_ELEMENTS;
  if (!which || which === 'list') p.del(`${prefix}bl`).rpush(`${prefix}bl`, ...range(n, (i) => `item${i}`));
  if (!which || which === 'hash') p.del(`${prefix}bh`).hset(`${prefix}bh`, ...range(n, (i) => [`f${i}`, `v${i}`]));
  if (!which || which === 'set') p.del(`${prefix}bset`).sadd(`${prefix}bset`, ...range(n, (i) => `m${i}`));
  if (!which || which === 'zset') p.del(`${prefix}bz`).zadd(`${prefix}bz`, ...range(n, (i) => [String(i), `z${i}`]));
  if (!which || which === 'string') p.del(`${prefix}bs`).set(`${prefix}bs`, 's'.repeat(BIG_STRING_BYTES));
  if (!which || which === 'stream') {
    p.del(`${prefix}bx`);
    for (let i = 1; i <= n; i++) p.xadd(`${prefix}bx`, `${i}-1`, 'k', `v${i}`);
    p.xgroup('CREATE', `${prefix}bx`, 'g', '0');
  }
}

export interface WriteLoad {
  /** Pipelines sent so far. */
  readonly batches: number;
  /** Stops the loop and waits for the pipeline in flight. */
  stop(): Promise<void>;
}

/**
 * Starts writing to `c` until stopped: SET/DEL of strings, type changes (DEL +
 * LPUSH/SET/HSET/XADD of one name), RPUSH/LPOP on a big list, HSET/HDEL on a big
 * hash, ZADD/ZREM, SADD/SREM, SETRANGE on a big string, XADD/XTRIM and consumer
 * groups on streams, PEXPIRE of a few ms, and from time to time a big key deleted
 * and built again.
 */
export function startWriteLoad(c: Redis, opts: { prefix?: string; seed?: number; opsPerBatch?: number } = {}): WriteLoad {
  const prefix = opts.prefix ?? 'ld:';
  const rnd = prng(opts.seed ?? 1);
  const pick = (n: number) => Math.floor(rnd() * n);
  let stopped = false;
  let batches = 0;
  let xid = 10_000;
  const op = (p: Pipeline) => {
    const r = pick(22);
    const k = (name: string) => `${prefix}${name}`;
    switch (r) {
      case 0: p.set(k(`s:${pick(20)}`), `v${pick(1000)}`); break;
      case 1: p.del(k(`s:${pick(20)}`)); break;
      case 2: { // type change of one name
        const name = k(`t:${pick(5)}`);
        p.del(name);
        const t = pick(4);
        if (t === 0) p.lpush(name, 'a', 'b');
        else if (t === 1) p.set(name, 'str');
        else if (t === 2) p.hset(name, 'f', 'v');
        else p.xadd(name, '*', 'f', 'v');
        break;
      }
      case 3: p.rpush(k('bl'), `new${pick(1000)}`).lpop(k('bl')); break;
      case 4: p.lpop(k('bl'), 1 + pick(3)); break;
      case 5: p.hset(k('bh'), `f${pick(LOAD_BIG_ELEMENTS * 2)}`, `x${pick(1000)}`); break;
      case 6: p.hdel(k('bh'), `f${pick(LOAD_BIG_ELEMENTS * 2)}`); break;
      case 7: p.zadd(k('bz'), pick(5000), `z${pick(LOAD_BIG_ELEMENTS * 2)}`); break;
      case 8: p.zrem(k('bz'), `z${pick(LOAD_BIG_ELEMENTS * 2)}`); break;
      case 9: p.sadd(k('bset'), `m${pick(LOAD_BIG_ELEMENTS * 2)}`).srem(k('bset'), `m${pick(LOAD_BIG_ELEMENTS * 2)}`); break;
      case 10: p.setrange(k('bs'), pick(BIG_STRING_BYTES), 'Q'); break;
      case 11: p.xadd(k('bx'), `${xid++}-1`, 'k', 'new').xtrim(k('bx'), 'MAXLEN', LOAD_BIG_ELEMENTS - pick(50)); break;
      case 12: { // a small stream with a group and pending entries
        const name = k(`x:${pick(3)}`);
        p.xadd(name, '*', 'n', String(pick(100))).xtrim(name, 'MAXLEN', 3 + pick(10));
        p.xgroup('CREATE', name, 'g', '0').xreadgroup('GROUP', 'g', `c${pick(2)}`, 'COUNT', 2, 'STREAMS', name, '>');
        if (pick(4) === 0) p.xgroup('DESTROY', name, 'g');
        break;
      }
      case 13: p.set(k(`e:${pick(10)}`), 'soon gone', 'PX', 1 + pick(30)); break;
      case 14: p.pexpire(k(`s:${pick(20)}`), 1 + pick(30)); break;
      case 15: p.hset(k(`h:${pick(5)}`), `f${pick(10)}`, `v${pick(10)}`).hdel(k(`h:${pick(5)}`), `f${pick(10)}`); break;
      case 16: p.zadd(k(`z:${pick(5)}`), pick(10), `m${pick(10)}`).zrem(k(`z:${pick(5)}`), `m${pick(10)}`); break;
      case 17: p.rpush(k(`l:${pick(5)}`), 'x').lpop(k(`l:${pick(5)}`)); break;
      case 18: p.del(k(`h:${pick(5)}`), k(`z:${pick(5)}`), k(`l:${pick(5)}`)); break;
      case 19: { // a big key gone, or given a TTL of a few ms, then built again
        const which = (['list', 'hash', 'set', 'zset', 'string', 'stream'] as const)[pick(6)];
        if (pick(2) === 0) p.del(k(which === 'list' ? 'bl' : which === 'hash' ? 'bh' : which === 'set' ? 'bset' : which === 'zset' ? 'bz' : which === 'string' ? 'bs' : 'bx'));
        if (pick(8) === 0) buildBig(p, prefix, which);
        break;
      }
      case 20: p.pexpire(k(['bl', 'bh', 'bset', 'bz', 'bs', 'bx'][pick(6)]), 1 + pick(20)); break;
      default: p.append(k(`s:${pick(20)}`), 'a'); break;
    }
  };
  const loop = (async () => {
    while (!stopped) {
      const p = c.pipeline();
      for (let i = 0; i < (opts.opsPerBatch ?? 12); i++) op(p);
      // Big keys that vanished come back now and then, so the chunked reads keep having work.
      if (batches % 25 === 0) buildBig(p, prefix, (['list', 'hash', 'set', 'zset', 'string', 'stream'] as const)[pick(6)]);
      await p.exec(); // WRONGTYPE and the like come back as replies, by design of the load
      batches++;
    }
  })();
  return {
    get batches() { return batches; },
    async stop() {
      stopped = true;
      await loop;
    },
  };
}
