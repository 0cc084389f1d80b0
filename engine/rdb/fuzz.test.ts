/**
 * Fuzzing: thousands of seeded random truncations, byte flips, insertions, deletions and
 * "length inflations" of every fixture. Each mutant must end in a clean parse or an RdbError
 * (never another exception, never INTERNAL), quickly, and without any large allocation.
 * Failures print the seed and mutation so they reproduce.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { RdbError } from './errors';
import { RdbParser } from './parser';
import { prng } from '../testing/prng';
import { RdbWriter } from './testing/rdb-writer';
import type { RdbParserOptions } from './types';

const DIR = path.join(import.meta.dirname, 'fixtures');
const files = fs.readdirSync(DIR).filter((f) => f.endsWith('.rdb')).sort();

const MUTANTS_PER_FILE = 110;
const MAX_ALLOC = 32 * 1024 * 1024;
const MAX_MS_PER_PARSE = 2000;

let maxAlloc = 0;
const allCodes = new Map<string, number>();
const spies: { mockRestore(): void }[] = [];
beforeAll(() => {
  for (const fn of ['alloc', 'allocUnsafe', 'allocUnsafeSlow'] as const) {
    const orig = Buffer[fn].bind(Buffer) as (size: number, ...rest: unknown[]) => Buffer;
    spies.push(
      vi.spyOn(Buffer, fn).mockImplementation(((size: number, ...rest: unknown[]) => {
        if (size > maxAlloc) maxAlloc = size;
        if (size > MAX_ALLOC) throw new Error(`huge allocation of ${size} bytes`);
        return orig(size, ...rest);
      }) as any),
    );
  }
});
afterAll(() => {
  for (const s of spies) s.mockRestore();
});

type Mutation = { kind: string; at: number; detail: number };

function mutate(buf: Buffer, rnd: () => number): { out: Buffer; m: Mutation } {
  const at = Math.floor(rnd() * buf.length);
  const pick = rnd();
  if (pick < 0.25) return { out: buf.subarray(0, at), m: { kind: 'truncate', at, detail: 0 } };
  if (pick < 0.6) {
    const out = Buffer.from(buf);
    const flips = 1 + Math.floor(rnd() * 3);
    for (let i = 0; i < flips; i++) {
      const p = i === 0 ? at : Math.floor(rnd() * buf.length);
      out[p] = Math.floor(rnd() * 256);
    }
    return { out, m: { kind: 'flip', at, detail: flips } };
  }
  if (pick < 0.72) {
    // Inflate a length: a 32-bit or 64-bit length prefix with large values.
    const out = Buffer.from(buf);
    const bytes = rnd() < 0.5 ? [0x80, 0xff, 0xff, 0xff, 0xf0] : [0x81, 0x00, 0x00, 0x00, 0x10, 0xff, 0xff, 0xff, 0xff];
    for (let i = 0; i < bytes.length && at + i < out.length; i++) out[at + i] = bytes[i]!;
    return { out, m: { kind: 'inflate', at, detail: bytes.length } };
  }
  if (pick < 0.86) {
    const n = 1 + Math.floor(rnd() * 4);
    const ins = Buffer.alloc(n);
    for (let i = 0; i < n; i++) ins[i] = Math.floor(rnd() * 256);
    return { out: Buffer.concat([buf.subarray(0, at), ins, buf.subarray(at)]), m: { kind: 'insert', at, detail: n } };
  }
  const n = 1 + Math.floor(rnd() * 4);
  return { out: Buffer.concat([buf.subarray(0, at), buf.subarray(at + n)]), m: { kind: 'delete', at, detail: n } };
}

type Outcome = 'ok' | string;

function parseMutant(buf: Buffer, opts: RdbParserOptions, chunk: number): Outcome {
  const p = new RdbParser(opts);
  try {
    for (let i = 0; i < buf.length; i += chunk) p.push(buf.subarray(i, i + chunk));
    p.end();
    return 'ok';
  } catch (e) {
    if (e instanceof RdbError) return e.code;
    throw e;
  }
}

describe('fuzzing the fixtures', () => {
  for (const file of files) {
    it(`${file}: every mutant ends in a clean parse or an RdbError`, () => {
      const orig = fs.readFileSync(path.join(DIR, file));
      const seed = [...file].reduce((h, c) => (Math.imul(h, 31) + c.charCodeAt(0)) | 0, 7);
      const rnd = prng(seed);
      const codes = new Map<Outcome, number>();
      for (let i = 0; i < MUTANTS_PER_FILE; i++) {
        const { out, m } = mutate(orig, rnd);
        const opts: RdbParserOptions = {
          verifyChecksum: rnd() < 0.5,
          bigKeyThreshold: rnd() < 0.3 ? 1 + Math.floor(rnd() * 200) : undefined,
          batchMaxItems: 1 + Math.floor(rnd() * 20),
          batchMaxBytes: 16 + Math.floor(rnd() * 4096),
        };
        const chunk = rnd() < 0.3 ? 1 + Math.floor(rnd() * 64) : out.length || 1;
        const started = performance.now();
        let outcome: Outcome;
        try {
          outcome = parseMutant(out, opts, chunk);
        } catch (e) {
          throw new Error(
            `seed ${seed} mutant ${i} (${JSON.stringify(m)}, opts ${JSON.stringify(opts)}, chunk ${chunk}): ` +
              `non-RdbError ${e instanceof Error ? e.stack : String(e)}`,
          );
        }
        const ms = performance.now() - started;
        if (outcome === 'INTERNAL' || ms > MAX_MS_PER_PARSE) {
          throw new Error(`seed ${seed} mutant ${i} (${JSON.stringify(m)}): outcome ${outcome} in ${ms.toFixed(0)} ms`);
        }
        codes.set(outcome, (codes.get(outcome) ?? 0) + 1);
        allCodes.set(outcome, (allCodes.get(outcome) ?? 0) + 1);
      }
      expect([...codes.values()].reduce((a, b) => a + b, 0)).toBe(MUTANTS_PER_FILE);
    });
  }

  it('hostile lengths never allocate: a 4 GB string value in 1 KB, a 4 GB list element, a 2^40-element list', () => {
    const junk = Buffer.alloc(1024, 0x61);
    const cases: [Buffer, string][] = [
      [new RdbWriter(10).byte(0).str('k').raw([0x80, 0xff, 0xff, 0xff, 0xff]).raw(junk).finish(), 'TRUNCATED'],
      [new RdbWriter(10).byte(1).str('k').len(1).raw([0x80, 0xff, 0xff, 0xff, 0xff]).raw(junk).finish(), 'CORRUPT'],
      [new RdbWriter(10).byte(1).str('k').len(2n ** 40n).raw(junk).finish(), 'TRUNCATED'],
      [new RdbWriter(10).byte(16).str('k').raw([0xc3, 0x80, 0xff, 0xff, 0xff, 0xf0, 0x81, 0, 0, 0, 1, 0, 0, 0, 0]).raw(junk).finish(), 'CORRUPT'], // junk is a bad LZF back-reference
    ];
    for (const [file, code] of cases) {
      for (const chunk of [file.length, 64]) {
        const p = new RdbParser();
        let got = 'ok';
        try {
          for (let i = 0; i < file.length; i += chunk) {
            p.push(file.subarray(i, i + chunk));
            expect(p.bufferedBytes).toBeLessThan(4096);
          }
          p.end();
        } catch (e) {
          got = e instanceof RdbError ? e.code : String(e);
        }
        expect(got).toBe(code);
      }
    }
  });

  it('reached every kind of outcome and never allocated a huge buffer', () => {
    console.log(`fuzz outcomes: ${JSON.stringify(Object.fromEntries(allCodes))}; largest allocation ${maxAlloc} bytes`);
    for (const code of ['ok', 'TRUNCATED', 'CORRUPT', 'CHECKSUM_MISMATCH', 'UNKNOWN_TYPE', 'BAD_MAGIC']) {
      expect(allCodes.get(code) ?? 0, code).toBeGreaterThan(0);
    }
    expect(maxAlloc).toBeGreaterThan(0); // the spy is live
    expect(maxAlloc).toBeLessThan(MAX_ALLOC);
  });
});
