/** Scan mode's change queue: each key once, oldest first, its age, and an overflow that names the DBs it held. */
import { describe, expect, it } from 'vitest';
import { ChangeQueue } from './readers/scan/change-queue';

describe('ChangeQueue', () => {
  it('keeps a key once however often it changes, oldest first, and its age is the oldest change\'s', () => {
    let now = 1000;
    const q = new ChangeQueue(10, () => undefined, () => now);
    q.add(0, Buffer.from('a'));
    now = 1500;
    q.add(0, Buffer.from('b'));
    q.add(0, Buffer.from('a'));
    q.add(1, Buffer.from('a'));
    expect(q.size).toBe(3);
    expect(q.merged).toBe(1);
    now = 2000;
    expect(q.ageMs()).toBe(1000);
    expect(q.take(2).map((k) => `${k.db}:${k.key}`)).toEqual(['0:a', '0:b']);
    expect(q.ageMs()).toBe(500);
    expect(q.take(10).map((k) => `${k.db}:${k.key}`)).toEqual(['1:a']);
    expect(q.ageMs()).toBe(0);
  });

  it('past its bound it gives up its keys and names the DBs they were in', () => {
    const overflows: number[][] = [];
    const q = new ChangeQueue(3, (dbs) => overflows.push(dbs));
    q.add(2, Buffer.from('x'));
    q.add(0, Buffer.from('y'));
    q.add(2, Buffer.from('z'));
    expect(overflows).toEqual([]);
    q.add(5, Buffer.from('w'));
    expect(overflows).toEqual([[0, 2, 5]]);
    expect(q.size).toBe(0);
  });

  it('wait() resolves when a key arrives', async () => {
    const q = new ChangeQueue(3, () => undefined);
    let woke = false;
    const waiting = q.wait(60_000).then(() => { woke = true; });
    await Promise.resolve();
    expect(woke).toBe(false);
    q.add(0, Buffer.from('k'));
    await waiting;
    expect(woke).toBe(true);
  });
});
