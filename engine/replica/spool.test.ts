import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LinkError } from './errors';
import { ByteSpool } from './spool';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dts-spool-test-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Deterministic pseudo-random chunk sizes and contents. */
function chunks(count: number, maxSize: number, seed = 1): Buffer[] {
  let x = seed;
  const rnd = () => ((x = (x * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const out: Buffer[] = [];
  let n = 0;
  for (let i = 0; i < count; i++) {
    const b = Buffer.allocUnsafe(1 + Math.floor(rnd() * maxSize));
    for (let j = 0; j < b.length; j++) b[j] = (n++ * 31 + 7) & 255;
    out.push(b);
  }
  return out;
}

async function drain(spool: ByteSpool): Promise<Buffer> {
  const got: Buffer[] = [];
  for (;;) {
    const c = await spool.read();
    if (c === null) return Buffer.concat(got);
    got.push(c);
  }
}

describe('ByteSpool', () => {
  it('keeps bytes in memory within the budget, in order, without files', async () => {
    const spool = new ByteSpool({ dir, memoryBytes: 1 << 20, maxDiskBytes: 1 << 20 });
    const input = chunks(50, 1000);
    for (const c of input) spool.push(c);
    spool.end();
    expect((await drain(spool)).equals(Buffer.concat(input))).toBe(true);
    expect(spool.stats().filesCreated).toBe(0);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('spills past the memory budget to rotating files, reads back FIFO, deletes files as they drain', async () => {
    const spool = new ByteSpool({ dir, memoryBytes: 10_000, maxDiskBytes: 10 << 20, segmentBytes: 50_000, readBytes: 7_000 });
    const input = chunks(400, 2000, 7);
    // Interleave writes and reads so memory, disk and memory again are all used.
    const got: Buffer[] = [];
    let i = 0;
    for (; i < 150; i++) spool.push(input[i]!);
    let sawFiles = fs.readdirSync(dir).length;
    while (i < input.length) {
      for (let k = 0; k < 37 && i < input.length; k++) spool.push(input[i++]!);
      sawFiles = Math.max(sawFiles, fs.readdirSync(dir).length);
      for (let k = 0; k < 20; k++) {
        if (spool.buffered === 0) break;
        got.push((await spool.read())!);
      }
    }
    spool.end();
    got.push(await drain(spool));
    expect(Buffer.concat(got).equals(Buffer.concat(input))).toBe(true);
    const s = spool.stats();
    expect(s.spilledBytes).toBeGreaterThan(100_000);
    expect(s.filesCreated).toBeGreaterThan(2);
    expect(sawFiles).toBeGreaterThan(1);
    expect(s.peakMemoryBytes).toBeLessThanOrEqual(10_000);
    expect(s.filesOpen).toBe(0);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('returns to memory once the files are drained', async () => {
    const spool = new ByteSpool({ dir, memoryBytes: 100, maxDiskBytes: 1 << 20 });
    spool.push(Buffer.alloc(80, 1));
    spool.push(Buffer.alloc(80, 2)); // over budget: to disk
    expect(spool.stats().diskBytes).toBe(80);
    expect((await spool.read())!.equals(Buffer.alloc(80, 1))).toBe(true);
    expect((await spool.read())!.equals(Buffer.alloc(80, 2))).toBe(true);
    expect(fs.readdirSync(dir)).toEqual([]);
    spool.push(Buffer.alloc(50, 3));
    expect(spool.stats()).toMatchObject({ memoryBytes: 50, diskBytes: 0, filesCreated: 1 });
  });

  it('throws SPOOL_FULL past the hard disk bound and keeps the bytes before it', async () => {
    const spool = new ByteSpool({ dir, memoryBytes: 100, maxDiskBytes: 1000, label: '127.0.0.1:6379' });
    spool.push(Buffer.alloc(100, 1));
    spool.push(Buffer.alloc(900, 2));
    let err: unknown;
    try {
      spool.push(Buffer.alloc(101, 3));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LinkError);
    expect((err as LinkError).code).toBe('SPOOL_FULL');
    expect((err as LinkError).message).toMatch(/127\.0\.0\.1:6379.*disk limit/);
    expect((err as LinkError).hint).toBeTruthy();
    spool.end(err as Error);
    const got: Buffer[] = [];
    await expect((async () => {
      for (;;) got.push((await spool.read())!);
    })()).rejects.toBe(err);
    expect(Buffer.concat(got).length).toBe(1000);
  });

  it('wakes a waiting reader on push, end and interrupt', async () => {
    const spool = new ByteSpool({ dir, memoryBytes: 1000, maxDiskBytes: 1000 });
    const r1 = spool.read();
    setTimeout(() => spool.push(Buffer.from('x')), 10);
    expect((await r1)!.toString()).toBe('x');
    const r2 = spool.read();
    setTimeout(() => spool.interrupt(), 10);
    expect((await r2)!.length).toBe(0);
    const r3 = spool.read();
    setTimeout(() => spool.end(), 10);
    expect(await r3).toBeNull();
  });

  it('close() deletes its files, discards the bytes and ends a pending read; idempotent', async () => {
    const spool = new ByteSpool({ dir, memoryBytes: 10, maxDiskBytes: 1 << 20, segmentBytes: 100 });
    for (let i = 0; i < 10; i++) spool.push(Buffer.alloc(60, i));
    expect(fs.readdirSync(dir).length).toBeGreaterThan(2);
    spool.close();
    spool.close();
    expect(fs.readdirSync(dir)).toEqual([]);
    expect(await spool.read()).toBeNull();
    spool.push(Buffer.from('ignored after close'));
    expect(await spool.read()).toBeNull();
  });
});
