/**
 * Scan mode against a managed-service stand-in (PSYNC, SYNC and CONFIG renamed away,
 * notify-keyspace-events set in its config file): full + incremental under the stream
 * tests' write load, a killed subscriber, a FLUSHDB, an overflowing queue, and a source
 * whose notifications the task turns on itself.
 */
import type Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareKeyByKey, type KeyDifference } from '../testing/compare';
import { expectEqual, expectEqualExceptSeenTime } from '../testing/expect-equal';
import { startFaultLoad, FAULT_LOAD_MAX_TTL_MS } from '../testing/fault-load';
import { startManagedSource } from '../testing/managed-source';
import { RedisServer } from '../testing/redis-server';
import { sleep, waitFor } from '../testing/wait';
import { verify } from '../verify';
import { endTask, endpointOf, runTask, waitStage, type RunningTask } from './testing/run-task';
import { startWorkload, WORKLOAD_DBS } from './testing/workload';

const ALL_DBS = [0, 1, 2, 3, 4, 5, 6, 7];

async function seed(c: Redis, keys: number, prefix = 'seed'): Promise<void> {
  const later = Date.now() + 3_600_000;
  const p = c.pipeline();
  for (let i = 0; i < keys; i++) {
    if (i % 5 === 0) p.hset(`${prefix}:h:${i}`, 'a', String(i), 'b', 'x');
    else if (i % 5 === 1) p.rpush(`${prefix}:l:${i}`, 'x', 'y', String(i));
    else if (i % 5 === 2) p.set(`${prefix}:e:${i}`, `expiring-${i}`, 'PXAT', later + i);
    else p.set(`${prefix}:s:${i}`, `value-${i}`);
  }
  p.xadd(`${prefix}:x`, '*', 'f', 'v');
  p.xgroup('CREATE', `${prefix}:x`, 'g', '0');
  await p.exec();
}

/** Waits until the two sides compare equal key by key (the queue drained, the re-scans done), then asserts it. */
async function expectEventuallyEqual(run: RunningTask, src: Redis, dst: Redis, dbs: number[], timeoutMs = 60_000): Promise<void> {
  let last: KeyDifference[] = [];
  await waitFor(async () => {
    if (run.finished()) throw new Error(`the task stopped (${String(run.error())}):\n${run.logText()}`);
    if (run.task.progress.delayMs !== 0) return false;
    last = await compareKeyByKey(src, dst, dbs);
    return last.length === 0;
  }, timeoutMs, () => `the destination to equal the source; delay ${run.task.progress.delayMs} ms, differences ${JSON.stringify(last.slice(0, 5))}`);
  await expectEqual(src, dst, { dbs });
}

/** A source (started by `startSource`) and a destination (default: Redis 7.0) for one describe block, with a client on each. */
function useScanPair(startSource: () => Promise<RedisServer>, startTarget: () => Promise<RedisServer> = () => RedisServer.start()):
  () => { source: RedisServer; target: RedisServer; src: Redis; dst: Redis } {
  let pair: { source: RedisServer; target: RedisServer; src: Redis; dst: Redis } | undefined;
  beforeAll(async () => {
    const [source, target] = await Promise.all([startSource(), startTarget()]);
    pair = { source, target, src: source.client(), dst: target.client() };
  });
  afterAll(async () => {
    pair?.src.disconnect();
    pair?.dst.disconnect();
    await Promise.all([pair?.source.stop(), pair?.target.stop()]);
  });
  return () => {
    if (!pair) throw new Error('the servers are not started (useScanPair runs in beforeAll)');
    return pair;
  };
}

/**
 * A write load of `round(r)` calls (r = 0, 1, …, a pause of `pauseMs` between them), from `start()` (at once
 * unless `gated`) until `stop()`, which resolves with the rounds run.
 */
function roundsLoad(round: (r: number) => Promise<unknown>, opts: { gated?: boolean; pauseMs?: number } = {}): { start(): void; stop(): Promise<number> } {
  let stopping = false;
  let started!: () => void;
  const go = opts.gated ? new Promise<void>((r) => { started = r; }) : Promise.resolve();
  const loop = (async () => {
    await go;
    let r = 0;
    while (!stopping) {
      await round(r++);
      await sleep(opts.pauseMs ?? 2);
    }
    return r;
  })();
  return {
    start: () => started?.(),
    stop: async () => {
      stopping = true;
      started?.();
      return loop;
    },
  };
}

describe('scan mode: a source that refuses PSYNC, SYNC and CONFIG', () => {
  let source: RedisServer;
  let target: RedisServer;
  let src: Redis;
  let load: Redis;
  let faults: Redis;
  let dst: Redis;

  beforeAll(async () => {
    [source, target] = await Promise.all([startManagedSource(), RedisServer.start()]);
    src = source.client();
    load = source.client();
    faults = source.client();
    dst = target.client();
  });
  afterAll(async () => {
    for (const c of [src, load, faults, dst]) c?.disconnect();
    await Promise.all([source?.stop(), target?.stop()]);
  });

  it('the stand-in refuses what a managed service refuses', async () => {
    await expect(src.call('PSYNC', '?', '-1')).rejects.toThrow(/unknown command/);
    await expect(src.call('SYNC')).rejects.toThrow(/unknown command/);
    await expect(src.call('CONFIG', 'GET', 'databases')).rejects.toThrow(/unknown command/);
  });

  it('full + incremental under the stream tests\' write load ends key by key equal once the load stops', async () => {
    await seed(src, 4_000);
    const workload = startWorkload(load);
    const faultLoad = startFaultLoad(faults, { dbs: [1, 3], keys: 200, pauseMs: 5 });
    await waitFor(() => workload.rounds() >= 2, 20_000, 'the write load to start');
    const run = runTask({ source: endpointOf(source), target: endpointOf(target), read: 'scan', hooks: { scan: { flushWatchMs: 200 } } });
    try {
      await waitStage(run, 'incremental', 60_000);
      const roundsAtIncremental = workload.rounds();
      await waitFor(() => workload.rounds() >= roundsAtIncremental + 5, 30_000, 'rounds after the full migration');
      await Promise.all([workload.stop(), faultLoad.stop()]);
      await sleep(FAULT_LOAD_MAX_TTL_MS); // the load's short expiries run out on both sides
      await expectEventuallyEqual(run, src, dst, [...new Set([...WORKLOAD_DBS, ...ALL_DBS])]);
      const text = run.logText();
      expect(text).toMatch(/scan mode: reading Redis/);
      expect(text).toMatch(/keys are read with DUMP and PEXPIRETIME per batch of keys in one Lua script \(strings by MGET in it during the full migration\)/);
      // The load's function library came with the full migration (FUNCTION DUMP, loaded as a snapshot's).
      expect(JSON.stringify(await dst.call('FUNCTION', 'LIST'))).toBe(JSON.stringify(await src.call('FUNCTION', 'LIST')));
      // CONFIG is refused: the task says what it needs rather than setting it.
      expect(text).toMatch(/cannot read notify-keyspace-events/);
      // The load's FLUSHDB and SWAPDB emit no key event: seen in INFO commandstats, healed by re-scans.
      expect(text).toMatch(/(FLUSHDB|SWAPDB).* ran on the source/);
      expect(text).toMatch(/re-scan of source DB\(s\) .* done/);
      // Keys were read with their absolute expiry (the comparison includes PEXPIRETIME).
      expect(await dst.pexpiretime('seed:e:2')).toBe(await src.pexpiretime('seed:e:2'));
      expect(Number(/connected_slaves:(\d+)/.exec(await src.info('replication'))?.[1])).toBe(0);
    } finally {
      await workload.stop().catch(() => undefined);
      await faultLoad.stop();
    }
    const progress = await endTask(run);
    expect(progress.fullSyncs).toBe(1);
    expect(progress.commandsApplied).toBeGreaterThan(100);
  });
});

describe('scan mode: gaps of pub/sub healed by a re-scan', () => {
  let source: RedisServer;
  let target: RedisServer;
  let src: Redis;
  let dst: Redis;
  let run: RunningTask;

  beforeAll(async () => {
    [source, target] = await Promise.all([startManagedSource(), RedisServer.start()]);
    src = source.client();
    dst = target.client();
    await seed(src, 500);
    run = runTask({ source: endpointOf(source), target: endpointOf(target), read: 'scan', hooks: { scan: { flushWatchMs: 200, pingMs: 500 } } });
    await waitStage(run, 'incremental', 30_000);
  });
  afterAll(async () => {
    if (run) await endTask(run).catch(() => undefined);
    for (const c of [src, dst]) c?.disconnect();
    await Promise.all([source?.stop(), target?.stop()]);
  });

  it('a killed subscriber connection is detected, subscribed again, and what it missed is healed by the re-scan', async () => {
    const rescansBefore = run.logs.filter((l) => /re-scan of source DB/.test(l.message)).length;
    // The writes in the same transaction as the kill reach no subscriber: only the re-scan can find them.
    const replies = await src.multi().client('KILL', 'TYPE', 'pubsub').set('missed:new', 'v').del('seed:s:3').hset('seed:h:0', 'a', 'changed')
      .exec();
    expect(replies?.[0]?.[1]).toBe(1);
    await waitFor(() => /keyspace notification connection to the source .* closed/.test(run.logText()), 20_000, 'the lost subscription to be logged');
    await waitFor(() => run.logs.filter((l) => /re-scan of source DB.* done/.test(l.message)).length > rescansBefore, 30_000, 'the re-scan');
    await expectEventuallyEqual(run, src, dst, ALL_DBS);
    expect(await dst.get('missed:new')).toBe('v');
    expect(await dst.exists('seed:s:3')).toBe(0);
    // Subscribed again: a write now arrives by its notification.
    await src.set('after:resubscribe', 'yes');
    await waitFor(async () => (await dst.get('after:resubscribe')) === 'yes', 20_000, 'a write after the re-subscription');
  });

  it('a FLUSHDB on the source (no key event) is caught and repaired on the destination', async () => {
    await src.select(2);
    await src.set('db2:a', '1');
    await src.select(0);
    await waitFor(async () => (await dst.dbsize()) >= 400, 10_000, 'the destination to hold DB 0');
    const flushedBefore = run.logs.filter((l) => /FLUSHDB.* ran on the source/.test(l.message)).length;
    await src.flushdb();
    await src.set('after:flush', 'x');
    await waitFor(() => run.logs.filter((l) => /FLUSHDB.* ran on the source/.test(l.message)).length > flushedBefore, 20_000, 'the FLUSHDB to be seen');
    await expectEventuallyEqual(run, src, dst, ALL_DBS);
    expect(await dst.dbsize()).toBeLessThanOrEqual(2); // after:flush, and the task's record where it lives in DB 0
    expect(await dst.get('after:flush')).toBe('x');
    await dst.select(2);
    expect(await dst.get('db2:a')).toBe('1'); // another DB is untouched
    await dst.select(0);
  });
});

describe('scan mode: broken connections of the key reads', () => {
  const pair = useScanPair(() => startManagedSource());

  it('are opened again, and a re-scan reads what changed meanwhile', async () => {
    const { source, target, src, dst } = pair();
    await seed(src, 300);
    const run = runTask({ source: endpointOf(source), target: endpointOf(target), read: 'scan', hooks: { scan: { flushWatchMs: 200 } } });
    await waitStage(run, 'incremental', 30_000);
    // Every normal connection but this one: the task's key reads and its INFO commandstats watch (the subscriber is pubsub).
    const killed = await src.client('KILL', 'TYPE', 'normal');
    expect(Number(killed)).toBeGreaterThanOrEqual(5);
    await src.set('after:kill', '1');
    await src.del('seed:s:4');
    await waitFor(() => /reconnecting to the source, then re-scanning/.test(run.logText()), 20_000, 'the broken reads to be noticed');
    await expectEventuallyEqual(run, src, dst, ALL_DBS);
    expect(await dst.get('after:kill')).toBe('1');
    // The watch of INFO commandstats came back too: a FLUSHDB is still seen.
    await src.flushdb();
    await waitFor(() => /FLUSHDB.* ran on the source/.test(run.logText()), 20_000, 'the FLUSHDB after the reconnect');
    await expectEventuallyEqual(run, src, dst, ALL_DBS);
    await endTask(run);
  });
});

describe('scan mode: an overflowing change queue', () => {
  const pair = useScanPair(() => startManagedSource());

  it('is logged and followed by a re-scan of the DBs it held', async () => {
    const { source, target, src, dst } = pair();
    await seed(src, 20_000);
    // A slow full migration (the rate limit) during which more keys change than the queue holds.
    const run = runTask({ source: endpointOf(source), target: endpointOf(target), read: 'scan', rps: 4000,
      hooks: { scan: { maxQueuedKeys: 100 } } });
    await waitStage(run, 'full', 30_000);
    const p = src.pipeline();
    for (let i = 0; i < 300; i++) p.set(`burst:${i}`, String(i));
    await p.exec();
    await waitStage(run, 'incremental', 60_000);
    await waitFor(() => /re-scan of source DB\(s\) 0 done/.test(run.logText()), 60_000, 'the re-scan');
    expect(run.logText()).toMatch(/more than 100 changed keys waited to be read/);
    await expectEventuallyEqual(run, src, dst, [0]);
    await endTask(run);
  });
});

describe('scan mode: a source whose CONFIG is allowed and scripts are not', () => {
  const pair = useScanPair(() => RedisServer.start({ configFile: ['rename-command SCRIPT ""'] }));

  it('gets its keyspace notifications turned on by the task, and its changes arrive', async () => {
    const { source, target, src, dst } = pair();
    const notify = async () => String(((await src.config('GET', 'notify-keyspace-events')) as string[])[1]);
    expect(await notify()).toBe('');
    await src.set('before', '1');
    await src.set('kept', 'with ttl', 'PX', 3_600_000);
    await src.rpush('list', 'a', 'b', 'c');
    const run = runTask({ source: endpointOf(source), target: endpointOf(target), read: 'scan' });
    await waitStage(run, 'incremental', 30_000);
    const flags = await notify();
    expect(flags).toContain('E');
    expect(flags).toContain('A');
    expect(run.logText()).toMatch(/set notify-keyspace-events on the source from "" to/);
    // No SCRIPT: each key is read in its own MULTI/EXEC.
    expect(run.logText()).toMatch(/keys are read with DUMP and PEXPIRETIME per key in MULTI\/EXEC \(SCRIPT LOAD refused/);
    await src.set('after', '2');
    await src.del('before');
    await expectEventuallyEqual(run, src, dst, [0]);
    expect(await dst.get('after')).toBe('2');
    await endTask(run);
  });
});

describe('scan mode: a Redis 6.0 source (no PEXPIRETIME)', () => {
  const pair = useScanPair(() => startManagedSource({ server: 'redis-6.0' }));

  it('reads each expiry as the server\'s clock plus PTTL in the same transaction, so the absolute expiry is kept', async () => {
    const { source, target, src, dst } = pair();
    await seed(src, 300, 'old');
    const before = Date.now();
    await src.set('ttl:key', 'v', 'PX', 3_600_000);
    await src.hset('ttl:hash', 'f', 'v');
    await src.pexpire('ttl:hash', 7_200_000);
    const after = Date.now();
    const run = runTask({ source: endpointOf(source), target: endpointOf(target), read: 'scan' });
    await waitStage(run, 'incremental', 30_000);
    expect(run.logText()).toMatch(/keys are read with DUMP and PTTL and TIME per key in MULTI\/EXEC/);
    const at = Number(await dst.pexpiretime('ttl:key'));
    expect(at).toBeGreaterThanOrEqual(before + 3_600_000 - 1);
    expect(at).toBeLessThanOrEqual(after + 3_600_000 + 1);
    const hashAt = Number(await dst.pexpiretime('ttl:hash'));
    expect(hashAt).toBeGreaterThanOrEqual(before + 7_200_000 - 1);
    expect(hashAt).toBeLessThanOrEqual(after + 7_200_000 + 1);
    // A change after the scan arrives by its notification.
    await src.rpush('old:l:1', 'more');
    await waitFor(async () => (await dst.lrange('old:l:1', 0, -1)).join(',') === 'x,y,1,more', 20_000, 'the change');
    expect(await dst.dbsize()).toBe(await src.dbsize() + 1); // and the task's record
    await endTask(run);
  });
});

describe('scan mode: a Valkey 9.1 source into Redis 7.0 (VALKEY 80 payloads, which Redis 7.0 cannot RESTORE as they are)', () => {
  const pair = useScanPair(() => startManagedSource({ server: 'valkey-9.1' }));

  it('writes them the way the KeyWriter writes a Valkey snapshot there (re-stamped or rewritten as commands), in the full migration and after it', async () => {
    const { source, target, src, dst } = pair();
    await seed(src, 200);
    await src.sadd('v:set', 'a', 'b', 'c');
    await src.zadd('v:zset', 1, 'a', 2.5, 'b');
    await src.xadd('v:stream', '1-1', 'f', 'v');
    await src.xgroup('CREATE', 'v:stream', 'g', '0');
    const run = runTask({ source: endpointOf(source), target: endpointOf(target), read: 'scan' });
    await waitStage(run, 'incremental', 30_000);
    await src.hset('v:after', 'f', 'v');
    await src.zadd('v:zset', 3, 'c');
    await src.del('seed:s:3');
    await waitFor(async () => run.task.progress.delayMs === 0 && (await dst.exists('v:after')) === 1 && (await dst.zcard('v:zset')) === 3
      && (await dst.exists('seed:s:3')) === 0, 20_000, 'the changes');
    // The project's verifier compares across versions (values, expiries, stream groups).
    const verdict = await verify({ source: endpointOf(source), target: endpointOf(target), rounds: 1, filter: { dbs: [0] } });
    expect(verdict.final.dbs.flatMap((d) => d.sample.map((c) => String(c.key)))).toEqual([]);
    expect(await dst.zrange('v:zset', 0, -1, 'WITHSCORES')).toEqual(['a', '1', 'b', '2.5', 'c', '3']);
    expect(await dst.pexpiretime('seed:e:2')).toBe(await src.pexpiretime('seed:e:2'));
    await endTask(run);
  });
});

/** Members of each big key: over the threshold below by MEMORY USAGE, and many windows of 1,000. */
const BIG_MEMBERS = 22_000;
/** The big-key threshold of these tests (bytes): the big keys are some 1–2 MB, the seed's keys a few hundred bytes. */
const BIG_BYTES = 200_000;

/** A hash, set, zset, list, stream (with a consumer group, pending entries past one window) and string, each big, with TTLs. */
async function seedBigKeys(c: Redis, expireAt: number): Promise<void> {
  for (let from = 0; from < BIG_MEMBERS; from += 2000) {
    const p = c.pipeline();
    const n = Math.min(2000, BIG_MEMBERS - from);
    const idx = Array.from({ length: n }, (_, i) => from + i);
    p.hset('big:hash', ...idx.flatMap((i) => [`field-${i}`, `value-${i}`]));
    p.sadd('big:set', ...idx.map((i) => `member-${i}`));
    p.zadd('big:zset', ...idx.flatMap((i) => [i === 0 ? '-inf' : i === 1 ? '+inf' : String(i / 7), `member-${i}`]));
    p.rpush('big:list', ...idx.map((i) => `item-${i}`));
    for (const i of idx) p.xadd('big:stream', `${1000 + i}-${i % 3}`, 'f', `v-${i}`, 'n', String(i));
    await p.exec();
  }
  await c.set('big:string', 'x'.repeat(300_000));
  await c.xgroup('CREATE', 'big:stream', 'g', '0');
  await c.xreadgroup('GROUP', 'g', 'alice', 'COUNT', 1500, 'STREAMS', 'big:stream', '>');
  await c.xreadgroup('GROUP', 'g', 'bob', 'COUNT', 1200, 'STREAMS', 'big:stream', '>');
  await c.xgroup('CREATE', 'big:stream', 'idle', '$');
  for (const k of ['big:hash', 'big:set', 'big:zset', 'big:list', 'big:stream']) await c.pexpireat(k, expireAt);
}

describe('scan mode: big keys read in windows of their type\'s own commands', () => {
  const pair = useScanPair(() => startManagedSource());

  it('copies a big hash, set, zset, list, stream and string equal member by member, with their absolute expiry', async () => {
    const { source, target, src, dst } = pair();
    await src.flushall();
    await dst.flushall();
    await seed(src, 300);
    const expireAt = Date.now() + 3_600_000;
    await seedBigKeys(src, expireAt);
    const run = runTask({ source: endpointOf(source), target: endpointOf(target), read: 'scan', type: 'full', hooks: { bigKeyThreshold: BIG_BYTES } });
    await run.done;
    expect(run.error()).toBeUndefined();
    const text = run.logText();
    expect(text).toMatch(new RegExp(`keys over ${BIG_BYTES} bytes \\(MEMORY USAGE\\) in windows`));
    expect(text).toMatch(/6 key\(s\) over the big-key threshold: read in windows/);
    for (const k of ['big:hash', 'big:set', 'big:zset', 'big:list', 'big:stream']) expect(await dst.pexpiretime(k)).toBe(expireAt);
    expect(await dst.hlen('big:hash')).toBe(BIG_MEMBERS);
    expect(await dst.lrange('big:list', 0, -1)).toEqual(await src.lrange('big:list', 0, -1));
    expect(await dst.zrange('big:zset', 0, 2, 'WITHSCORES')).toEqual(['member-0', '-inf', 'member-2', '0.2857142857142857', 'member-3', '0.42857142857142855']);
    expect(await dst.zrange('big:zset', -1, -1, 'WITHSCORES')).toEqual(['member-1', 'inf']);
    expect(await dst.xpending('big:stream', 'g')).toEqual(await src.xpending('big:stream', 'g'));
    expect(JSON.stringify(await dst.xpending('big:stream', 'g', '-', '+', 3000))).toHaveLength(
      JSON.stringify(await src.xpending('big:stream', 'g', '-', '+', 3000)).length);
    // Values, expiries and stream groups key by key (a consumer's seen-time is the destination's own: XCLAIM stamps it).
    await expectEqualExceptSeenTime(src, dst, { dbs: [0] });
    expect(await dst.dbsize()).toBe(await src.dbsize());
  });

  it('ends equal when the big keys are written to while they are read (their events read them again)', async () => {
    const { source, target, src, dst } = pair();
    await src.flushall();
    await dst.flushall();
    await seed(src, 2_000);
    const expireAt = Date.now() + 3_600_000;
    await seedBigKeys(src, expireAt);
    const writer = source.client();
    const load = roundsLoad((r) => writer.pipeline()
      .hset('big:hash', `field-${r % 30_000}`, `changed-${r}`).hdel('big:hash', `field-${(r * 7) % BIG_MEMBERS}`)
      .sadd('big:set', `new-${r}`).srem('big:set', `member-${(r * 3) % BIG_MEMBERS}`)
      .zadd('big:zset', r, `member-${(r * 5) % BIG_MEMBERS}`)
      .lpush('big:list', `head-${r}`).rpop('big:list')
      .xadd('big:stream', '*', 'f', `later-${r}`)
      .xack('big:stream', 'g', `${1000 + (r % 1500)}-${(r % 1500) % 3}`)
      .append('big:string', 'y')
      .exec(), { pauseMs: 1 });
    try {
      const run = runTask({ source: endpointOf(source), target: endpointOf(target), read: 'scan', hooks: { bigKeyThreshold: BIG_BYTES, scan: { flushWatchMs: 200 } } });
      await waitStage(run, 'incremental', 60_000);
      expect(run.logText()).toMatch(/6 key\(s\) over the big-key threshold/);
      await sleep(300);
      expect(await load.stop()).toBeGreaterThan(20);
      await expectEventuallyEqual(run, src, dst, [0], 40_000);
      await expectEqualExceptSeenTime(src, dst, { dbs: [0] });
      for (const k of ['big:hash', 'big:set', 'big:zset', 'big:list']) expect(await dst.pexpiretime(k)).toBe(expireAt);
      // The writes during the scan came back as key events and were read again.
      expect((await endTask(run)).commandsApplied).toBeGreaterThan(0);
    } finally {
      await load.stop();
      writer.disconnect();
    }
  });
});

describe('scan mode: reads that are not atomic while notifications are followed', () => {
  const pair = useScanPair(() => startManagedSource());

  it('end equal with TTLs set during the scan of a DB that held none, and values and expiries changed between a key\'s reads', async () => {
    const { source, target, src, dst } = pair();
    const one = source.client();
    await one.select(1);
    const later = Date.now() + 3_600_000;
    for (let from = 0; from < 20_000; from += 2000) {
      const p0 = src.pipeline();
      const p1 = one.pipeline();
      for (let i = from; i < from + 2000; i++) {
        p0.set(`plain:${i}`, `v${i}`);
        if (i < 5000) p1.set(`ttl:${i}`, `t${i}`, 'PXAT', later + i);
      }
      await Promise.all([p0.exec(), p1.exec()]);
    }
    const writes = source.client();
    const writes1 = source.client();
    await writes1.select(1);
    const load = roundsLoad(async (r) => {
      const k = (r * 37) % 20_000;
      await writes.pipeline().pexpireat(`plain:${k}`, later + r).set(`plain:${(k + 1) % 20_000}`, `changed-${r}`, 'KEEPTTL')
        .del(`plain:${(k + 2) % 20_000}`).hset(`plain:${(k + 2) % 20_000}`, 'now', 'a hash').exec();
      await writes1.pipeline().persist(`ttl:${r % 5000}`).set(`ttl:${(r + 1) % 5000}`, `changed-${r}`, 'PX', 1_800_000 + r).exec();
    }, { gated: true });
    try {
      // A slow scan (the rate limit): the writes land before, between and after the keys' reads.
      const run = runTask({ source: endpointOf(source), target: endpointOf(target), read: 'scan', rps: 8000, hooks: { scan: { flushWatchMs: 200 } } });
      // The load starts once the scan has (DB 0 held no volatile key when it began).
      await waitStage(run, 'full', 30_000);
      load.start();
      await waitStage(run, 'incremental', 60_000);
      expect(run.logText()).toMatch(/1 DB\(s\) held no key with an expiry when the scan began: read without PEXPIRETIME/);
      expect(await load.stop()).toBeGreaterThan(50);
      await expectEventuallyEqual(run, src, dst, [0, 1]);
      expect(Number(await dst.pexpiretime(`plain:${37 % 20_000}`))).toBeGreaterThan(later - 1);
      await endTask(run);
    } finally {
      await load.stop();
      for (const c of [one, writes, writes1]) c.disconnect();
    }
  });
});

describe('scan mode: a full-only task on a source with key events on', () => {
  // CONFIG readable here (the stand-in refuses it): the task can tell key events are on, and follows them.
  const pair = useScanPair(() => RedisServer.start({ config: { 'notify-keyspace-events': 'KEA' } }));

  it('reads without atomicity, reads again the keys changed during its scan, and completes equal to the source as it was then', async () => {
    const { source, target, src, dst } = pair();
    await src.flushall();
    await dst.flushall();
    for (let from = 0; from < 20_000; from += 2000) {
      const p = src.pipeline();
      for (let i = from; i < from + 2000; i++) {
        p.set(`k:${i}`, `v${i}`);
        if (i % 4 === 0) p.hset(`h:${i}`, 'f', `${i}`);
        if (i % 10 === 0) p.pexpire(`k:${i}`, 3_600_000 + i);
      }
      await p.exec();
    }
    const writes = source.client();
    const load = roundsLoad((r) => {
      const k = (r * 7919) % 20_000;
      return writes.pipeline().set(`k:${k}`, `changed-${r}`, 'KEEPTTL').hincrby(`h:${(k * 4) % 20_000}`, 'n', 1)
        .pexpire(`k:${(k + 1) % 20_000}`, 1_800_000 + r).del(`k:${(k + 2) % 20_000}`).exec();
    }, { gated: true });
    try {
      // A slow scan (the rate limit): writes land before, between and after the keys' reads; they stop before it ends.
      const run = runTask({ source: endpointOf(source), target: endpointOf(target), read: 'scan', type: 'full', rps: 8000 });
      await waitStage(run, 'full', 30_000);
      load.start();
      await sleep(1_000);
      expect(await load.stop()).toBeGreaterThan(50);
      await run.done;
      expect(run.error()).toBeUndefined();
      expect(run.logText()).toMatch(/the keys changed during the scan were read again \(\d+ waiting when it ended\)/);
      expect(run.logText()).not.toMatch(/MULTI\/EXEC|in a script/);
      // No waiting: what the task wrote when it completed is the source.
      await expectEqual(src, dst, { dbs: [0] });
      expect(await dst.dbsize()).toBe(await src.dbsize()); // no record of the task is left
    } finally {
      await load.stop();
      writes.disconnect();
    }
  });
});

describe('scan mode: raw SCAN and MGET replies (following, a DB without volatile keys)', () => {
  const pair = useScanPair(() => startManagedSource());

  it('copies what the key filter takes, strings of every length and the other types equal, big strings in pieces', async () => {
    const { source, target, src, dst } = pair();
    await src.flushall();
    await dst.flushall();
    const p = src.pipeline();
    for (let i = 0; i < 12_000; i++) {
      const prefix = i % 3 === 0 ? 'skip' : 'take';
      if (i % 10 === 1) p.hset(`${prefix}:h:${i}`, 'f', String(i));
      else if (i % 97 === 0) p.set(`${prefix}:long:${i}`, 'x'.repeat(20_000 + i)); // past a socket chunk
      else p.set(`${prefix}:s:${i}`, i % 13 === 0 ? '' : `value-${i}-${'y'.repeat(i % 70)}`);
    }
    p.set('take:big', 'z'.repeat(300_000)); // over the big-key threshold: written in pieces
    await p.exec();
    const run = runTask({ source: endpointOf(source), target: endpointOf(target), read: 'scan', filter: { includePrefixes: ['take:'] },
      hooks: { bigKeyThreshold: BIG_BYTES, scan: { flushWatchMs: 200 } } });
    try {
      await waitStage(run, 'incremental', 60_000);
      expect(run.logText()).toMatch(/1 DB\(s\) held no key with an expiry when the scan began/);
      expect(run.logText()).toMatch(/1 key\(s\) over the big-key threshold/);
      const taken = (await src.keys('take:*')).sort();
      const copied = (await dst.keys('*')).filter((k) => !k.startsWith('DTS_REDIS_')).sort();
      expect(copied).toEqual(taken);
      const read = async (c: Redis) => {
        const q = c.pipeline();
        for (const k of taken) {
          if (k.startsWith('take:h:')) q.hgetall(k);
          else q.get(k);
        }
        return (await q.exec())!.map(([err, v]) => err ?? v);
      };
      // As one string: a deep comparison of thousands of values is slow.
      expect(JSON.stringify(await read(dst))).toBe(JSON.stringify(await read(src)));
    } finally {
      await endTask(run);
    }
  });
});

describe('scan mode: a big hash with field TTLs (Redis 8.0 to Redis 8.0)', () => {
  const pair = useScanPair(() => startManagedSource({ server: 'redis-8.0' }), () => RedisServer.start({ server: 'redis-8.0' }));

  it('is read in HSCAN windows with each field\'s absolute expiry (HPEXPIRETIME), and written equal', async () => {
    const { source, target, src, dst } = pair();
    const at = Date.now() + 3_600_000;
    for (let from = 0; from < BIG_MEMBERS; from += 2000) {
      const idx = Array.from({ length: 2000 }, (_, i) => from + i);
      await src.hset('big:ttl-hash', ...idx.flatMap((i) => [`f${i}`, `v${i}`]));
      const some = idx.filter((i) => i % 3 === 0);
      await src.call('HPEXPIREAT', 'big:ttl-hash', at, 'FIELDS', some.length, ...some.map((i) => `f${i}`));
    }
    const run = runTask({ source: endpointOf(source), target: endpointOf(target), read: 'scan', type: 'full', hooks: { bigKeyThreshold: BIG_BYTES } });
    await run.done;
    expect(run.error()).toBeUndefined();
    expect(run.logText()).toMatch(/1 key\(s\) over the big-key threshold/);
    expect(await dst.hlen('big:ttl-hash')).toBe(BIG_MEMBERS);
    expect(await dst.call('HPEXPIRETIME', 'big:ttl-hash', 'FIELDS', 3, 'f0', 'f1', 'f21999')).toEqual([at, -1, at]);
    await expectEqual(src, dst, { dbs: [0] });
  });
});
