/**
 * Regression tests from a review of the pause that resolves once the engine writes nothing
 * more (sync-task.ts), against real servers.
 */
import type Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisServer } from '../testing/redis-server';
import { endTask, endpointOf, runTask, sleep, startSource, waitCaughtUp, waitStage } from './test-support';

let source: RedisServer;
let target: RedisServer;
let src: Redis;
let dst: Redis;

beforeAll(async () => {
  [source, target] = await Promise.all([startSource(), RedisServer.start()]);
  src = source.client();
  dst = target.client();
});
afterAll(async () => {
  src?.disconnect();
  dst?.disconnect();
  await Promise.all([source?.stop(), target?.stop()]);
});

/** Settles with 'resolved' or 'timeout', whichever comes first. */
function within(p: Promise<unknown>, ms: number): Promise<'resolved' | 'timeout'> {
  return Promise.race([p.then(() => 'resolved' as const), sleep(ms).then(() => 'timeout' as const)]);
}

describe('pause', () => {
  it('a second pause() while the stream loop is parked resolves (it used to wait for resume)', async () => {
    const run = runTask({ source: endpointOf(source), target: endpointOf(target) });
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
