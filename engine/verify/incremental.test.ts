/** Incremental Data Verification against two real servers, the "stream" simulated by writing both with a lag. */
import type Redis from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseRedisUrl } from '../endpoint';
import { RedisServer } from '../testing/redis-server';
import { IncrementalVerifier, type Conflict, type IncrementalVerifierOptions } from './index';

let src: RedisServer;
let dst: RedisServer;
let s: Redis;
let t: Redis;
const running: IncrementalVerifier[] = [];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function start(more: Partial<IncrementalVerifierOptions>): Promise<IncrementalVerifier> {
  const iv = new IncrementalVerifier({ source: parseRedisUrl(src.url), target: parseRedisUrl(dst.url), tickMs: 20, ...more });
  running.push(iv);
  await iv.start();
  return iv;
}

async function until(cond: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(20);
  }
}

beforeAll(async () => {
  [src, dst] = await Promise.all([RedisServer.start(), RedisServer.start()]);
  s = src.client();
  t = dst.client();
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((iv) => iv.stop()));
  await Promise.all([s.flushall(), t.flushall()]);
});

afterAll(async () => {
  s?.disconnect();
  t?.disconnect();
  await Promise.all([src?.stop(), dst?.stop()]);
});

describe('IncrementalVerifier', () => {
  it('rechecks each written key after the delay and reports only those still different', async () => {
    const iv = await start({ delayMs: 1000, filter: { excludePrefixes: ['skip:'] } });
    const found: Conflict[] = [];
    iv.on('difference', (c) => found.push(c));
    const lagged: Promise<unknown>[] = [];
    for (let i = 0; i < 20; i++) {
      await s.set(`w:${i}`, String(i));
      iv.noteWrite(0, `w:${i}`);
      // The destination receives the write 100 ms later: in flight when written, equal when checked.
      lagged.push(sleep(100).then(() => t.set(`w:${i}`, String(i))));
    }
    await s.set('lost', 'never replicated');
    iv.noteWrite(0, 'lost');
    await s.hset('h', 'a', '1');
    await t.hset('h', 'a', '2');
    iv.noteWrite(0, 'h');
    iv.noteWrite(0, 'skip:1');
    await sleep(150);
    expect(iv.stats()).toMatchObject({ queued: 22, equal: 0, different: 0, filtered: 1 }); // nothing checked before its delay
    await Promise.all(lagged);
    await until(() => iv.stats().queued === 0);
    expect(iv.stats()).toMatchObject({ equal: 20, different: 2, dropped: 0 });
    expect(found.map((c) => `${c.key} ${c.kind}${c.field ? ` ${c.field}` : ''}`).sort()).toEqual(['h value a', 'lost lack_target']);
    expect(iv.differences()).toHaveLength(2);
  });

  it('merges repeated writes of a key, caps the queue and counts what it dropped', async () => {
    const iv = await start({ delayMs: 60_000, maxQueue: 5 });
    for (let i = 0; i < 100; i++) iv.noteWrite(0, 'hot');
    for (let i = 0; i < 10; i++) iv.noteWrite(0, `k${i}`);
    expect(iv.stats()).toMatchObject({ queued: 5, merged: 99, dropped: 6 });
    // flush() checks everything now, whatever its due time.
    await s.set('hot', '1');
    await iv.flush();
    expect(iv.stats()).toMatchObject({ queued: 0, different: 1, equal: 4 });
    expect(iv.differences()).toMatchObject([{ key: 'hot', kind: 'lack_target' }]);
  });

  it('checks a key written again while it waited once more before reporting it', async () => {
    const iv = await start({ delayMs: 400, maxAttempts: 3 });
    await s.set('k', '1');
    await t.set('k', '1');
    iv.noteWrite(0, 'k');
    await sleep(50);
    await s.set('k', '2');
    iv.noteWrite(0, 'k'); // merged into the waiting check; the destination gets it late
    await until(() => iv.stats().retried === 1); // the first check saw '1' against '2' and did not report it
    expect(iv.stats()).toMatchObject({ queued: 1, different: 0 });
    await t.set('k', '2');
    await until(() => iv.stats().queued === 0);
    expect(iv.stats()).toMatchObject({ retried: 1, different: 0, equal: 1 });
  });

  it('maps DBs and ignores DBs the task does not carry', async () => {
    const iv = await start({ delayMs: 50, filter: { dbs: [2], dbMap: new Map([[2, 3]]) } });
    const s2 = src.client();
    const t3 = dst.client();
    try {
      await s2.select(2);
      await t3.select(3);
      await s2.set('m', 'v');
      await t3.set('m', 'v');
      await s2.set('n', 'v');
      iv.noteWrite(2, 'm');
      iv.noteWrite(2, 'n');
      iv.noteWrite(0, 'm');
      await until(() => iv.stats().queued === 0);
      expect(iv.stats()).toMatchObject({ equal: 1, different: 1, filtered: 1 });
      expect(iv.differences()).toMatchObject([{ db: 2, targetDb: 3, key: 'n', kind: 'lack_target' }]);
    } finally {
      s2.disconnect();
      t3.disconnect();
    }
  });
});
