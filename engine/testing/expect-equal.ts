/**
 * The verdicts of a test that copied a source to a destination: key-by-key equality
 * over every DB either side uses (differences shown when it fails), the same with a
 * stream consumer's seen-time allowed to differ, and whole-dataset DEBUG DIGEST
 * equality once the task's record is dropped. Built on compare.ts.
 */
import type Redis from 'ioredis';
import { expect } from 'vitest';
import { CHECKPOINT_PREFIX } from '../filter';
import { compareKeyByKey, debugDigest, type KeyDifference } from './compare';
import { keyspaceDbs } from './redis-info';

/** Key-by-key equality over every DB either side uses, with the differences shown when it fails. */
export async function expectEqual(source: Redis, target: Redis, opts: { dbs?: number[]; dbMap?: Record<number, number> } = {}): Promise<void> {
  const dbs = opts.dbs ?? (await keyspaceDbs(source, target));
  const diffs: KeyDifference[] = await compareKeyByKey(source, target, dbs, { dbMap: opts.dbMap });
  expect(diffs.slice(0, 20)).toEqual([]);
}

/**
 * Key-by-key equality where a stream consumer's seen-time may differ and nothing else.
 * Seen-time is the consumer's last interaction *on that server*: XREADGROUP reaches a
 * replica as XCLAIM, which stamps the replica's own clock (a native Redis replica
 * differs the same way), so after replayed stream reads it cannot be equal to the ms.
 * Everything else of the groups (ids, entries-read, PEL owners, delivery times and
 * counts, consumer names) must still be equal. Returns how many keys differed in seen-time only.
 */
export async function expectEqualExceptSeenTime(
  source: Redis, target: Redis, opts: { dbs?: number[]; dbMap?: Record<number, number> } = {},
): Promise<number> {
  const dbs = opts.dbs ?? (await keyspaceDbs(source, target));
  const diffs = await compareKeyByKey(source, target, dbs, { dbMap: opts.dbMap });
  const seenTimeOnly = diffs.filter((d) => d.kind === 'stream_groups' && withoutSeenTime(d.source) === withoutSeenTime(d.target));
  expect(diffs.filter((d) => !seenTimeOnly.includes(d)).slice(0, 20)).toEqual([]);
  return seenTimeOnly.length;
}

/** XINFO STREAM FULL groups (as compareKeyByKey shows them) with each consumer's seen-time blanked. */
export function withoutSeenTime(groups: string | undefined): string {
  return (groups ?? '').replace(/"seen-time",\d+/g, '"seen-time",0');
}

/**
 * DEBUG DIGEST of the whole dataset (all DBs). The task's record on the destination is
 * deleted first, as Release does: the digest covers every key, the engine's own included.
 */
export async function expectDigestEqual(source: Redis, target: Redis): Promise<void> {
  await dropTaskRecords(target);
  const [a, b] = await Promise.all([debugDigest(source), debugDigest(target)]);
  expect(a).not.toBe('0000000000000000000000000000000000000000');
  expect(b).toBe(a);
}

/** Deletes every task record (DTS_REDIS_CHECKPOINT_*) in every DB of a destination. */
export async function dropTaskRecords(target: Redis): Promise<number> {
  let n = 0;
  for (const db of await keyspaceDbs(target)) {
    await target.select(db);
    const keys = await target.keys(`${CHECKPOINT_PREFIX}*`);
    if (keys.length > 0) n += await target.del(...keys);
  }
  await target.select(0);
  return n;
}
