/**
 * The fault tests' write load: a steady mix of commands that do not give the same
 * result when applied twice (INCR, INCRBYFLOAT, APPEND, LPUSH/RPUSH, XADD with `*`,
 * HINCRBY, SETRANGE, ZINCRBY), deletes that later re-create a key (an orphan left on
 * the destination shows), short expiries, and MULTI/EXEC blocks — so any write lost,
 * doubled or applied out of order leaves a key that differs.
 *
 * Seeded: a failing run can be replayed with the same seed.
 */
import type Redis from 'ioredis';
import { prng } from './prng';

export interface FaultLoadOptions {
  /** Distinct keys per type family (default 400). */
  keys?: number;
  /** DBs written (default [0]). */
  dbs?: number[];
  /** XADD * on streams (default true). */
  streams?: boolean;
  /** Commands per pipeline (default 40). */
  batch?: number;
  /** Pause between pipelines, to leave the engine CPU on a 2-core machine (default 2 ms). */
  pauseMs?: number;
  seed?: number;
}

export interface FaultLoad {
  /** Commands sent so far. */
  commands(): number;
  /** Keys the load deleted so far (each is re-created later by a relative command). */
  deletes(): number;
  /** Stops after the current pipeline; resolves with the number of commands sent. */
  stop(): Promise<number>;
}

export function startFaultLoad(client: Redis, opts: FaultLoadOptions = {}): FaultLoad {
  const keys = opts.keys ?? 400;
  const dbs = opts.dbs ?? [0];
  const streams = opts.streams ?? true;
  const batch = opts.batch ?? 40;
  const pauseMs = opts.pauseMs ?? 2;
  const random = prng(opts.seed ?? 1);
  const pick = (n: number) => Math.floor(random() * n);
  let sent = 0;
  let deleted = 0;
  let stopping = false;
  let round = 0;

  const families = ['c', 'f', 's', 'l', 'h', 'z', ...(streams ? ['x'] : [])];
  const one = (p: ReturnType<Redis['pipeline']>): void => {
    const family = families[pick(families.length)]!;
    const key = `${family}:${pick(keys)}`;
    const roll = random();
    if (roll < 0.04) {
      p.del(key);
      deleted++;
      return;
    }
    if (roll < 0.06) {
      p.pexpire(key, 200 + pick(800));
      return;
    }
    switch (family) {
      case 'c': p.incr(key); break;
      case 'f': p.incrbyfloat(key, (pick(1000) - 500) / 7); break;
      case 's': if (random() < 0.5) p.append(key, `+${round}`); else p.setrange(key, pick(8), String.fromCharCode(97 + pick(26))); break;
      case 'l': if (random() < 0.5) p.lpush(key, `a${round}`); else p.rpush(key, `b${round}`); break;
      case 'h': p.hincrby(key, `f${pick(5)}`, pick(9) + 1); break;
      case 'z': p.zincrby(key, pick(10) + 1, `m${pick(6)}`); break;
      case 'x': p.xadd(key, 'MAXLEN', '~', '50', '*', 'r', String(round)); break;
    }
  };

  const loop = (async () => {
    while (!stopping) {
      round++;
      const db = dbs[pick(dbs.length)]!;
      if (random() < 0.1) {
        // A transaction: the destination must apply it whole or not at all.
        const m = client.multi();
        m.select(db);
        for (let i = 0; i < 5; i++) one(m as unknown as ReturnType<Redis['pipeline']>);
        await m.exec();
        sent += 7;
      } else {
        const p = client.pipeline();
        p.select(db);
        for (let i = 0; i < batch; i++) one(p);
        await p.exec();
        sent += batch + 1;
      }
      if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
    }
  })();

  return {
    commands: () => sent,
    deletes: () => deleted,
    stop: async () => {
      stopping = true;
      await loop;
      return sent;
    },
  };
}

/** The longest expiry the load sets: after stopping it, wait this long for its keys to expire on both sides. */
export const FAULT_LOAD_MAX_TTL_MS = 1_000;
