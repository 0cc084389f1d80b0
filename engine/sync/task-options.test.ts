/**
 * Task options against real servers: the conflict check, DB mapping and key prefix
 * filters in both phases, FLUSHDB/FLUSHALL/SWAPDB as PRODUCT.md says, a destination
 * out of memory, pause/resume under load, incremental only, TTL extension, and a
 * command the engine cannot replay.
 */
import type Redis from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DtsError } from '../errors';
import { isEngineKey } from '../filter';
import { dataKeyCount } from '../testing/compare';
import { RedisServer } from '../testing/redis-server';
import { endTask, endpointOf, runTask, startSource, waitCaughtUp, waitStage, type RunningTask } from './testing/run-task';
import { expectEqualExceptSeenTime } from '../testing/expect-equal';
import { masterReplOffset } from '../testing/redis-info';
import { sleep, waitFor } from '../testing/wait';
import { startWorkload, WORKLOAD_DBS } from './testing/workload';

let source: RedisServer;
let target: RedisServer;
let src: Redis;
let dst: Redis;
let running: RunningTask[] = [];

beforeAll(async () => {
  [source, target] = await Promise.all([startSource({ config: { 'repl-backlog-size': '16mb' } }), RedisServer.start()]);
  src = source.client();
  dst = target.client();
});
afterAll(async () => {
  src?.disconnect();
  dst?.disconnect();
  await Promise.all([source?.stop(), target?.stop()]);
});
beforeEach(async () => {
  await Promise.all([src.flushall(), dst.flushall()]);
  await src.call('FUNCTION', 'FLUSH');
  await dst.call('FUNCTION', 'FLUSH');
});
afterEach(async () => {
  // A test that failed half-way must not leave its task replicating into the next one.
  for (const run of running.splice(0)) {
    await run.task.stop();
    await run.done;
  }
});

function start(opts: Parameters<typeof runTask>[0]): RunningTask {
  const run = runTask(opts);
  running.push(run);
  return run;
}

/** Settles with 'resolved' or 'timeout', whichever comes first. */
function within(p: Promise<unknown>, ms: number): Promise<'resolved' | 'timeout'> {
  return Promise.race([p.then(() => 'resolved' as const), sleep(ms).then(() => 'timeout' as const)]);
}

async function failure(run: RunningTask): Promise<DtsError> {
  await run.done;
  const err = run.error();
  if (!(err instanceof DtsError)) throw new Error(`expected the task to fail with a DtsError, got ${String(err)}\n${run.logText()}`);
  expect(run.task.progress.stage).toBe('failed');
  return err;
}

/** Keys of one DB as sorted strings. */
async function keysOf(c: Redis, db: number): Promise<string[]> {
  await c.select(db);
  const keys = (await c.keys('*')).filter((k) => !isEngineKey(Buffer.from(k))).sort();
  await c.select(0);
  return keys;
}

/**
 * The destination DB holds exactly the source DB's keys that `accept` takes (plus the
 * destination's own `others`), with equal type, value and expiry.
 */
async function expectFilteredCopy(srcDb: number, dstDb: number, accept: (key: string) => boolean, others: string[] = []): Promise<void> {
  const want = (await keysOf(src, srcDb)).filter(accept);
  expect(await keysOf(dst, dstDb)).toEqual([...want, ...others].sort());
  for (const key of want) {
    await src.select(srcDb);
    await dst.select(dstDb);
    const facts = (c: Redis) => Promise.all([c.type(key), c.call('DEBUG', 'DIGEST-VALUE', key), c.call('PEXPIRETIME', key)]);
    expect({ key, facts: await facts(dst) }).toEqual({ key, facts: await facts(src) });
  }
  await src.select(0);
  await dst.select(0);
}

describe('conflict mode', () => {
  it('block: a key in a selected destination DB fails the task before anything is written', async () => {
    await src.set('a', '1');
    await src.select(4);
    await src.set('b', '2');
    await src.select(0);
    await dst.select(4);
    await dst.set('existing:key', 'dest');
    await dst.select(9); // not selected: does not block
    await dst.set('elsewhere', 'x');
    await dst.select(0);

    const run = start({ source: endpointOf(source), target: endpointOf(target), filter: { dbs: [0, 4] } });
    const err = await failure(run);
    expect(err.code).toBe('DESTINATION_NOT_EMPTY');
    expect(err.message).toContain('DB 4 (e.g. "existing:key")');
    expect(err.message).not.toContain('DB 9');
    expect(err.describe()).toMatch(/--conflict overwrite/);
    // Nothing written, no replication started.
    expect(await keysOf(dst, 0)).toEqual([]);
    expect(await keysOf(dst, 4)).toEqual(['existing:key']);
    await dst.select(4);
    expect(await dst.get('existing:key')).toBe('dest');
    await dst.select(0);
    expect(source.log()).not.toMatch(/Full resync requested/);
  });

  it('block: with the source DB mapped, it is the mapped destination DB that is checked', async () => {
    await src.set('a', '1');
    await dst.select(1);
    await dst.set('in-mapped-db', 'x');
    await dst.select(0);
    const run = start({ source: endpointOf(source), target: endpointOf(target), filter: { dbs: [0], dbMap: new Map([[0, 1]]) } });
    const err = await failure(run);
    expect(err.message).toContain('DB 1 (e.g. "in-mapped-db")');
  });

  it('overwrite: same-name keys are replaced, other destination keys stay', async () => {
    await src.set('k', 'from-source');
    await src.hset('h', 'f', 'v');
    await src.set('ttl', 'x', 'PXAT', Date.now() + 600_000);
    await dst.set('k', 'old');
    await dst.rpush('h', 'a list before');
    await dst.set('ttl', 'no ttl here');
    await dst.set('dest-only', 'stays');
    const run = start({ source: endpointOf(source), target: endpointOf(target), type: 'full', conflict: 'overwrite' });
    await run.done;
    if (run.error()) throw run.error();
    expect(run.task.progress.stage).toBe('completed');
    await expectFilteredCopy(0, 0, () => true, ['dest-only']);
    expect(await dst.get('dest-only')).toBe('stays');
  });
});

describe('DB mapping and key prefix filters, in both phases', () => {
  const accept = (k: string) => (k.startsWith('a:') || k.startsWith('b:')) && !k.startsWith('a:skip');

  async function fill(tag: string): Promise<void> {
    for (const db of [0, 2, 3]) {
      await src.select(db);
      await src.set(`a:${tag}:1`, `db${db}`);
      await src.hset(`b:${tag}:h`, 'f', tag);
      await src.set(`a:skip:${tag}`, 'excluded');
      await src.set(`c:${tag}`, 'not included');
      await src.rpush(`a:${tag}:l`, '1', '2', '3');
      await src.set(`b:${tag}:ttl`, 'x', 'PX', 600_000);
    }
    await src.select(0);
  }

  it('source DB 0 → destination DB 1 and DB 2 → 2, prefixes a: b: without a:skip, DB 3 left out', async () => {
    await fill('snap');
    const filter = { dbs: [0, 2], dbMap: new Map([[0, 1]]), includePrefixes: ['a:', 'b:'], excludePrefixes: ['a:skip'] };
    const run = start({ source: endpointOf(source), target: endpointOf(target), filter });
    await waitStage(run, 'incremental');
    await fill('stream');
    // Commands whose keys straddle the filter are cut down where that keeps their meaning.
    await src.mset('a:m1', '1', 'c:m2', '2', 'b:m3', '3');
    await src.del('a:snap:1', 'c:snap');
    await src.rename('a:stream:l', 'b:renamed');
    await src.multi().incr('a:counter').incr('c:counter').select(2).incr('b:counter').select(0).exec();
    await src.move('a:stream:1', 2); // DB 0 → DB 2: both carried
    await src.select(2);
    await src.del('a:stream:1'); // (the moved key arrived in DB 2, delete it there to leave room)
    await src.select(0);
    await src.set('a:moved-out', 'leaves');
    await src.move('a:moved-out', 3); // into a DB the task does not carry: deleted on the destination
    await src.call('COPY', 'b:snap:h', 'b:copied', 'DB', 2);
    await waitCaughtUp(run, src);

    await expectFilteredCopy(0, 1, accept);
    await expectFilteredCopy(2, 2, accept);
    expect(await keysOf(dst, 0)).toEqual([]);
    expect(await keysOf(dst, 3)).toEqual([]);
    await dst.select(1);
    expect(await dst.get('a:m1')).toBe('1');
    expect(await dst.exists('a:moved-out')).toBe(0);
    await dst.select(0);
    const progress = await endTask(run);
    expect(progress.fullSyncs).toBe(1);
  });
});

describe('FLUSHDB, FLUSHALL and SWAPDB on the source (PRODUCT.md)', () => {
  const filter = { dbs: [0, 2], dbMap: new Map([[0, 1]]) };

  async function fillBoth(): Promise<void> {
    for (const db of [0, 2, 5]) {
      await src.select(db);
      await src.set(`k${db}`, `v${db}`);
      await src.hset(`h${db}`, 'f', String(db));
    }
    await src.select(0);
  }

  it('FLUSHDB empties the mapped destination DB; FLUSHALL every mapped DB and nothing else; SWAPDB swaps the mapped DBs', async () => {
    // Destination DBs the task does not map to hold keys of their own.
    for (const db of [0, 5, 7]) {
      await dst.select(db);
      await dst.set(`outsider${db}`, 'keep me');
    }
    await dst.select(0);
    await fillBoth();
    const run = start({ source: endpointOf(source), target: endpointOf(target), filter });
    await waitStage(run, 'incremental');
    await waitCaughtUp(run, src);
    expect(await keysOf(dst, 1)).toEqual(['h0', 'k0']);

    await src.select(2);
    await src.flushdb();
    await src.select(0);
    await waitCaughtUp(run, src);
    expect(await keysOf(dst, 2)).toEqual([]);
    expect(await keysOf(dst, 1)).toEqual(['h0', 'k0']);

    await src.select(2);
    await src.set('two', '2');
    await src.call('SWAPDB', 0, 2);
    await src.select(0);
    await waitCaughtUp(run, src);
    expect(await keysOf(dst, 1)).toEqual(['two']);
    expect(await keysOf(dst, 2)).toEqual(['h0', 'k0']);
    await expectFilteredCopy(0, 1, () => true);
    await expectFilteredCopy(2, 2, () => true);

    await src.flushall();
    await src.set('after-flushall', '1');
    await waitCaughtUp(run, src);
    expect(await keysOf(dst, 1)).toEqual(['after-flushall']);
    expect(await keysOf(dst, 2)).toEqual([]);
    for (const db of [0, 5, 7]) expect(await keysOf(dst, db)).toEqual([`outsider${db}`]);
    expect(run.logText()).toMatch(/FLUSHALL on the source/);
    expect(run.logText()).toMatch(/FLUSHDB on source DB 2/);
    await endTask(run);
  });

  it('SWAPDB of a selected and an unselected DB fails the task with the reason', async () => {
    await fillBoth();
    const run = start({ source: endpointOf(source), target: endpointOf(target), filter });
    await waitStage(run, 'incremental');
    await src.call('SWAPDB', 2, 5);
    const err = await failure(run);
    expect(err.code).toBe('SWAPDB');
    expect(err.describe()).toMatch(/SWAPDB 2 5.*cannot follow.*select both DBs in the task, or neither/);
  });
});

describe('failures a person must see', () => {
  it('a destination out of memory (noeviction) fails the task with the OOM reply', async () => {
    const small = await RedisServer.start({ config: { maxmemory: '3mb', 'maxmemory-policy': 'noeviction' } });
    try {
      const p = src.pipeline();
      for (let i = 0; i < 400; i++) p.set(`big:${i}`, 'x'.repeat(10_000));
      await p.exec();
      const run = start({ source: endpointOf(source), target: endpointOf(small) });
      const err = await failure(run);
      expect(err.code).toBe('DESTINATION_OOM');
      expect(err.message).toMatch(/out of memory and refused M?SET on key "big:\d+": OOM command not allowed when used memory > 'maxmemory'/);
      expect(err.describe()).toMatch(/raise maxmemory/);
    } finally {
      await small.stop();
    }
  });

  it('out of memory during the incremental: one refused write fails the task at once, with no later write to notice it', async () => {
    const small = await RedisServer.start({ config: { 'maxmemory-policy': 'noeviction' } });
    const d = small.client();
    try {
      const run = start({ source: endpointOf(source), target: endpointOf(small) });
      await waitStage(run, 'incremental');
      const used = Number(/used_memory:(\d+)/.exec(String(await d.info('memory')))![1]);
      await d.config('SET', 'maxmemory', String(used + 64 * 1024));
      await src.set('too-big', 'x'.repeat(1024 * 1024)); // the one write; nothing follows it
      const started = Date.now();
      const err = await failure(run);
      expect(err.code).toBe('DESTINATION_OOM');
      expect(err.message).toMatch(/out of memory and refused (SET|MSET) on key "too-big"/);
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      d.disconnect();
      await small.stop();
    }
  });

  it('a command the engine cannot replay fails the task, naming it', async () => {
    await src.set('before', '1');
    const run = start({ source: endpointOf(source), target: endpointOf(target) });
    await waitStage(run, 'incremental');
    await src.pfadd('hll', 'a', 'b', 'c');
    // PFDEBUG TODENSE rewrites a sparse HyperLogLog as dense; the master replicates it verbatim.
    await src.call('PFDEBUG', 'TODENSE', 'hll');
    const err = await failure(run);
    expect(err.code).toBe('UNSUPPORTED_COMMAND');
    expect(err.message).toMatch(/^the source sent PFDEBUG, which this engine cannot replay/);
    // What came before it was written.
    expect(await dst.pfcount('hll')).toBe(3);
  });
});

/** How many SET commands a server has run (INFO commandstats). */
async function setCalls(c: Redis): Promise<number> {
  return Number(/^cmdstat_set:calls=(\d+)/m.exec(String(await c.info('commandstats')))?.[1] ?? 0);
}

describe('pause and resume', () => {
  it('under write load: pause holds every write from the moment it resolves, then the stream continues without a second full migration', async () => {
    const load = source.client();
    try {
      const run = start({ source: endpointOf(source), target: endpointOf(target) });
      await waitStage(run, 'incremental');
      const fullSyncsServed = source.log().match(/Starting BGSAVE for SYNC/g)?.length;
      const workload = startWorkload(load);
      await waitFor(() => workload.rounds() >= 3, 10_000, 'writes');
      // MB/s counts the replication stream once the snapshot is done.
      await waitFor(() => run.task.progress.bytesPerSecond > 0, 5_000, 'stream MB/s');
      // Once pause() resolves nothing more reaches the destination: no grace period needed.
      await run.task.pause();
      expect(run.task.progress.stage).toBe('paused');
      const held = run.task.progress.checkpoint?.offset ?? 0;
      // (Not DEBUG DIGEST: the load's short-lived keys expire on the destination meanwhile.)
      const setsAtPause = await setCalls(dst);
      const offsetAtPause = await masterReplOffset(src);
      const roundsAtPause = workload.rounds();
      await waitFor(() => workload.rounds() >= roundsAtPause + 10, 20_000, 'writes while paused');
      expect(await masterReplOffset(src)).toBeGreaterThan(offsetAtPause + 10_000);
      expect(run.task.progress.checkpoint?.offset ?? 0).toBe(held);
      expect(await setCalls(dst)).toBe(setsAtPause);

      run.task.resume();
      await waitStage(run, 'incremental');
      await sleep(200);
      await workload.stop();
      await sleep(300);
      await waitCaughtUp(run, src);
      await expectEqualExceptSeenTime(src, dst, { dbs: [...WORKLOAD_DBS, 1] });
      const progress = await endTask(run);
      expect(progress.fullSyncs).toBe(1);
      expect(progress.partialResyncs).toBe(0);
      expect(source.log().match(/Starting BGSAVE for SYNC/g)?.length).toBe(fullSyncsServed);
    } finally {
      load.disconnect();
    }
  });

  it('a second pause() while the stream loop is parked resolves at once, and holds the write until resume', async () => {
    const run = start({ source: endpointOf(source), target: endpointOf(target) });
    try {
      await waitStage(run, 'incremental');
      await run.task.pause();
      // A write arrives: the loop takes its batch and parks before applying it.
      const before = run.task.progress.receivedOffset;
      await src.set('written-while-paused', '1');
      await sleep(500);
      expect(run.task.progress.receivedOffset).toBe(before); // parked inside the batch
      expect(await within(run.task.pause(), 3000)).toBe('resolved');
      expect(await dst.exists('written-while-paused')).toBe(0);
      run.task.resume();
      await waitCaughtUp(run, src);
      expect(await dst.get('written-while-paused')).toBe('1');
    } finally {
      run.task.resume();
      await endTask(run);
    }
  });
});

describe('throttling', () => {
  it('holds each stage to its own throttle, and takes new limits while running', async () => {
    const p = src.pipeline();
    for (let i = 0; i < 2000; i++) p.set(`full:${i}`, String(i));
    await p.exec();
    const run = start({ source: endpointOf(source), target: endpointOf(target), throttle: { incremental: { rps: 40 } } });
    // 2,000 keys at 40 a second would take 50 s: the full migration is not held to the incremental throttle.
    await waitStage(run, 'incremental', 10_000);
    expect(await dataKeyCount(dst)).toBe(2000);

    const q = src.pipeline();
    for (let i = 0; i < 200; i++) q.set(`inc:${i}`, String(i));
    await q.exec();
    await sleep(1500);
    const held = (await dst.keys('inc:*')).length;
    // At most a second's burst (40) plus 40 a second for 1.5 s, with some slack for timing.
    expect(held).toBeGreaterThan(0);
    expect(held).toBeLessThan(130);

    run.task.setLimits({ rps: 0, throttle: {} });
    await waitFor(async () => (await dst.keys('inc:*')).length === 200, 5_000, 'the rest once unthrottled');
    await endTask(run);
  });
});

describe('sync types and expiry', () => {
  it('incremental only: the snapshot is read but not written; the stream is applied from its offset', async () => {
    await src.set('in-snapshot', '1');
    await dst.set('dest-own', 'kept'); // incremental only does not run the conflict check
    const run = start({ source: endpointOf(source), target: endpointOf(target), type: 'incremental' });
    await waitStage(run, 'incremental');
    await src.set('after', '2');
    await src.incr('in-snapshot');
    await waitCaughtUp(run, src);
    expect(await keysOf(dst, 0)).toEqual(['after', 'dest-own', 'in-snapshot']);
    expect(await dst.get('in-snapshot')).toBe('1'); // INCR on a key the destination did not have
    expect(run.logText()).toMatch(/snapshot received \(not written: incremental only\)/);
    await endTask(run);
  });

  it('full only: completes after the snapshot', async () => {
    await src.set('x', '1');
    const run = start({ source: endpointOf(source), target: endpointOf(target), type: 'full' });
    await run.done;
    if (run.error()) throw run.error();
    expect(run.task.progress.stage).toBe('completed');
    expect(await dst.get('x')).toBe('1');
  });

  it('TTL extension moves every absolute expiry written, in both phases', async () => {
    const at = Date.now() + 600_000;
    await src.set('snap-ttl', 'v', 'PXAT', at);
    await src.hset('snap-hash', 'f', 'v');
    await src.pexpireat('snap-hash', at + 1);
    const run = start({ source: endpointOf(source), target: endpointOf(target), ttlExtendSeconds: 100 });
    await waitStage(run, 'incremental');
    await src.set('stream-set', 'v', 'PXAT', at + 2);
    await src.set('stream-ex', 'v', 'EX', 600);
    await src.rpush('stream-list', 'a');
    await src.expire('stream-list', 600);
    await waitCaughtUp(run, src);
    for (const key of ['snap-ttl', 'snap-hash', 'stream-set', 'stream-ex', 'stream-list']) {
      const [s, d] = await Promise.all([src.call('PEXPIRETIME', key), dst.call('PEXPIRETIME', key)]);
      expect({ key, extendedBy: Number(d) - Number(s) }).toEqual({ key, extendedBy: 100_000 });
    }
    await endTask(run);
  });
});

describe('the heartbeat', () => {
  it('is written on the source, measured, never copied, and deleted at the end', async () => {
    const run = start({ source: endpointOf(source), target: endpointOf(target), taskId: 'hb1' });
    await waitStage(run, 'incremental');
    await waitFor(() => run.task.progress.delayMs !== null, 5_000, 'a delay measurement');
    expect(await src.exists('DTS_REDIS_TIMESTAMP_HEARTBEAT_hb1')).toBe(1);
    await waitCaughtUp(run, src);
    expect(await dst.exists('DTS_REDIS_TIMESTAMP_HEARTBEAT_hb1')).toBe(0);
    await endTask(run);
    expect(await src.exists('DTS_REDIS_TIMESTAMP_HEARTBEAT_hb1')).toBe(0);
  });
});

describe('a broken source link', () => {
  it('during the full migration: the snapshot is read again in full, and the result is equal', async () => {
    const p = src.pipeline();
    for (let i = 0; i < 3000; i++) p.set(`k${i}`, String(i));
    await p.exec();
    // The source writes its snapshot slowly (0.5 ms a key), so the link breaks mid-transfer.
    await src.config('SET', 'rdb-key-save-delay', '500');
    const run = start({ source: endpointOf(source), target: endpointOf(target) });
    try {
      await waitStage(run, 'full');
      await sleep(200);
      expect(Number(await src.call('CLIENT', 'KILL', 'TYPE', 'replica'))).toBe(1);
    } finally {
      await src.config('SET', 'rdb-key-save-delay', '0');
    }
    await src.set('between', 'the two snapshots');
    await waitFor(() => run.task.progress.fullSyncs === 2, 10_000, () => `a second full migration:\n${run.logText()}`);
    await waitStage(run, 'incremental');
    await waitCaughtUp(run, src);
    await expectFilteredCopy(0, 0, () => true);
    const progress = await endTask(run);
    expect(progress).toMatchObject({ fullSyncs: 2, partialResyncs: 0 });
    expect(run.logText()).toMatch(/during the snapshot transfer/);
  });

  it('after the whole snapshot arrived, while it is still being written: resumed by partial resync from its offset', async () => {
    const p = src.pipeline();
    for (let i = 0; i < 3000; i++) p.set(`k${i}`, String(i));
    await p.exec();
    // The destination holds writes, so the snapshot (received whole, spooled) is still being written.
    await dst.call('CLIENT', 'PAUSE', 1000, 'WRITE');
    const run = start({ source: endpointOf(source), target: endpointOf(target) });
    await waitStage(run, 'full');
    await sleep(200);
    expect(run.task.progress.stage).toBe('full');
    expect(Number(await src.call('CLIENT', 'KILL', 'TYPE', 'replica'))).toBe(1);
    await src.set('after', 'the kill');
    await waitFor(() => run.task.progress.partialResyncs === 1, 10_000, () => `a partial resync:\n${run.logText()}`);
    await waitCaughtUp(run, src);
    await expectFilteredCopy(0, 0, () => true);
    const progress = await endTask(run);
    expect(progress).toMatchObject({ fullSyncs: 1, partialResyncs: 1 });
  });

  it('gone for longer than the retry time: the task fails naming the source', async () => {
    const lone = await startSource();
    const run = start({ source: endpointOf(lone), target: endpointOf(target), connectionRetryMs: 1500 });
    try {
      await waitStage(run, 'incremental');
      await lone.stop();
      const err = await failure(run);
      expect(err.code).toBe('RETRY_EXHAUSTED');
      expect(err.describe()).toMatch(new RegExp(`^gave up reconnecting to the source 127\\.0\\.0\\.1:${lone.port}: .*refused.*the retry time for failed connections ran out`));
      expect(run.stages).toContain('retrying');
    } finally {
      await lone.stop();
    }
  });
});
