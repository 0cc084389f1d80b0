/**
 * The relay's key counter (snapshot-counter.ts) is given views of one read buffer that the relay
 * overwrites with the next read: it must count from its own copies. Every fixture RDB, fed in small
 * chunks through one reused buffer scribbled over after each push, counts as many keys as the parser
 * finds in the whole file; a snapshot the parser cannot read loses its count (said once), without
 * throwing at the relay.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RdbParser } from '../rdb/parser';
import { prng } from '../testing/prng';
import { SnapshotKeyCounter } from './snapshot-counter';

const DIR = path.join(import.meta.dirname, '..', 'rdb', 'fixtures');
const fixtures = fs.readdirSync(DIR).filter((f) => f.endsWith('.rdb')).sort();

/** The keys in a whole file as the parser counts them, or the error it stops with. */
function wholeCount(data: Buffer): number | Error {
  try {
    const p = new RdbParser({ stringRuns: true, lazyValues: true, verifyChecksum: false });
    let keys = 0;
    for (const ev of [...p.push(data), ...p.end()]) {
      if (ev.type === 'string-run') keys += ev.count;
      else if (ev.type === 'key' || ev.type === 'key-start') keys += 1;
    }
    return keys;
  } catch (err) {
    return err as Error;
  }
}

/** Feeds `data` to a counter as the relay does: each chunk a view of one buffer, overwritten after the push. */
function countThroughReusedBuffer(data: Buffer, seed: number, stageBytes?: number): { keys: number; lost: string[] } {
  let keys = 0;
  const lost: string[] = [];
  const counter = new SnapshotKeyCounter({ count: (k) => { keys = k; }, lost: (why) => lost.push(why) }, stageBytes);
  const shared = Buffer.alloc(4096);
  const rand = prng(seed);
  counter.start();
  for (let at = 0; at < data.length;) {
    const n = Math.min(data.length - at, 1 + Math.floor(rand() * 700));
    data.copy(shared, 0, at, at + n);
    counter.push(shared.subarray(0, n));
    shared.fill(0xa5); // the next read
    at += n;
  }
  counter.end();
  return { keys, lost };
}

describe('SnapshotKeyCounter', () => {
  it('counts every fixture exactly from chunks of a reused buffer, parsed a megabyte or 64 bytes at a time', () => {
    let counted = 0;
    for (const name of fixtures) {
      const data = fs.readFileSync(path.join(DIR, name));
      const want = wholeCount(data);
      for (const stageBytes of [undefined, 64]) {
        const got = countThroughReusedBuffer(data, name.length, stageBytes);
        if (want instanceof Error) {
          expect(got.lost, name).toHaveLength(1);
          continue;
        }
        expect(got, `${name}, staged by ${stageBytes ?? 'the megabyte'}`).toEqual({ keys: want, lost: [] });
        counted++;
      }
    }
    expect(counted).toBeGreaterThan(60);
  });

  it('a snapshot it cannot read loses its count, said once, and does not throw', () => {
    const data = Buffer.from(fs.readFileSync(path.join(DIR, 'hash.rdb')));
    data.fill(0xee, data.length >> 1); // from the middle on, bytes that are no RDB type or opcode
    const got = countThroughReusedBuffer(data, 7);
    expect(got.lost).toHaveLength(1);
    expect(got.lost[0]).toMatch(/\S/);
  });
});
