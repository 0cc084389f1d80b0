/**
 * Records between keys that a hostile source can make as large as it likes (issue 16, row 12):
 * MODULE_AUX and Valkey's SLOT_IMPORT. A 4 MiB SLOT_IMPORT once took 41 s and 674 MB, being parsed
 * again from its start on every chunk. Each is now refused over its limit, and read in steps as it
 * arrives. The work is measured, not timed: length reads (Reader.readLen calls) and bytes allocated.
 */
import { describe, expect, it } from 'vitest';
import { prng } from '../testing/prng';
import { RdbError } from './errors';
import { CLUSTER_SLOTS, MAX_MODULE_AUX_BYTES, RdbParser } from './parser';
import { Reader } from './reader';
import { RdbWriter } from './testing/rdb-writer';
import type { RdbEvent } from './types';

const MODULE_ID = 0x1234_5678_9abc_de03n;

interface Work<T> {
  result: T | RdbError;
  /** Length reads (every unit of these records starts with one). */
  reads: number;
  /** Bytes of the buffers the parser allocated (merging chunks, joining pieces). */
  allocated: number;
  /** Chunks pushed, up to and including the one that was refused. */
  pushes: number;
  /** The most bytes the parser held at once. */
  peakBuffered: number;
}

/** Parses `chunks` (an array, or a function giving chunk i, null at the end), counting the work. */
function measured(chunks: Buffer[] | ((i: number) => Buffer | null)): Work<RdbEvent[]> {
  const next = Array.isArray(chunks) ? (i: number) => chunks[i] ?? null : chunks;
  const readLen = Reader.prototype.readLen;
  const allocUnsafe = Buffer.allocUnsafe;
  const work: Work<RdbEvent[]> = { result: [], reads: 0, allocated: 0, pushes: 0, peakBuffered: 0 };
  Reader.prototype.readLen = function (this: Reader) {
    work.reads++;
    return readLen.call(this);
  };
  Buffer.allocUnsafe = (size: number) => {
    work.allocated += size;
    return allocUnsafe(size);
  };
  try {
    const p = new RdbParser();
    const events: RdbEvent[] = [];
    try {
      for (let i = 0, chunk = next(0); chunk; chunk = next(++i)) {
        work.pushes++;
        events.push(...p.push(chunk));
        work.peakBuffered = Math.max(work.peakBuffered, p.bufferedBytes);
      }
      events.push(...p.end());
      work.result = events;
    } catch (e) {
      if (!(e instanceof RdbError)) throw e;
      work.result = e;
    }
  } finally {
    Reader.prototype.readLen = readLen;
    Buffer.allocUnsafe = allocUnsafe;
  }
  return work;
}

function split(buf: Buffer, size: number | (() => number)): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < buf.length;) {
    const n = typeof size === 'number' ? size : size();
    out.push(buf.subarray(i, i + n));
    i += n;
  }
  return out;
}

function events(w: Work<RdbEvent[]>): RdbEvent[] {
  if (w.result instanceof RdbError) throw w.result;
  return w.result;
}

function refusal(w: Work<unknown>): RdbError {
  if (!(w.result instanceof RdbError)) throw new Error('the parser accepted the record');
  return w.result;
}

function slotImportFile(ranges: [number, number][], name = 'a'.repeat(40)): Buffer {
  const w = new RdbWriter(81, 'VALKEY').byte(0xf3).str(name).len(ranges.length);
  for (const [a, b] of ranges) w.len(a).len(b);
  return w.byte(0).str('k').str('v').finish();
}

/** A MODULE_AUX record of `values` tagged unsigned integers, and the tagged bytes its event must carry. */
function moduleAuxFile(values: number): { file: Buffer; tagged: Buffer } {
  const t = new RdbWriter(9);
  for (let i = 0; i < values; i++) t.len(2).len(i * 7919);
  t.len(0);
  const tagged = Buffer.concat((t as unknown as { parts: Buffer[] }).parts.slice(1));
  const file = new RdbWriter(9).byte(0xf7).len(MODULE_ID).len(2).len(2).raw(tagged).byte(0).str('k').str('v').finish();
  return { file, tagged };
}

describe('SLOT_IMPORT', () => {
  it('the most ranges a record can hold (one per slot), in 256-byte chunks: each range read once, each byte copied about once', () => {
    const ranges = Array.from({ length: CLUSTER_SLOTS }, (_, i): [number, number] => [i, i]);
    const file = slotImportFile(ranges);
    const w = measured(split(file, 256));
    const got = events(w).find((e) => e.type === 'slot-import');
    expect(got && got.type === 'slot-import' && got.ranges).toEqual(ranges);
    expect(got && got.type === 'slot-import' && got.jobName.toString()).toBe('a'.repeat(40));
    // Two lengths per range, plus at most one unfinished range tried again per chunk (re-reading the record was ~4 million).
    expect(w.reads).toBeLessThanOrEqual(2 * CLUSTER_SLOTS + 2 * w.pushes + 16);
    expect(w.allocated).toBeLessThanOrEqual(2 * file.length);
  });

  it('a hostile 4 MiB record (a million ranges) is refused at its count, in the first chunk, naming the record and the limit', () => {
    const head = new RdbWriter(81, 'VALKEY').byte(0xf3).str('job').len(1_000_000);
    const file = Buffer.concat([head.finish().subarray(0, -9), Buffer.alloc(4 * 1024 * 1024, 0x01)]);
    const w = measured(split(file, 64 * 1024));
    const e = refusal(w);
    expect(e.code).toBe('RECORD_TOO_LARGE');
    expect(e.message).toMatch(/SLOT_IMPORT record declares 1000000 slot ranges, over the limit of 16384/);
    expect(w.pushes).toBe(1);
    expect(w.reads).toBeLessThan(10);
  });

  it('a job name of 100 MB is refused from its header; a range outside the slots is corrupt', () => {
    const name = new RdbWriter(81, 'VALKEY').byte(0xf3).len(100_000_000).raw(Buffer.alloc(1024));
    const w = measured([name.finish()]);
    expect(refusal(w).code).toBe('RECORD_TOO_LARGE');
    expect(refusal(w).message).toMatch(/SLOT_IMPORT record names its job with 100000000 bytes, over the limit of 1024/);
    expect(w.allocated).toBeLessThan(64 * 1024);
    for (const bad of [[[0, 16384]], [[10, 5]]] as [number, number][][]) {
      expect(refusal(measured([slotImportFile(bad)])).message).toMatch(/not one of slots 0-16383/);
    }
  });
});

describe('MODULE_AUX', () => {
  it('16,384 tagged values in 256-byte chunks: each value read once; the event carries the bytes', () => {
    const { file, tagged } = moduleAuxFile(CLUSTER_SLOTS);
    const w = measured(split(file, 256));
    const aux = events(w).find((e) => e.type === 'module-aux');
    expect(aux && aux.type === 'module-aux' && aux.raw.equals(tagged)).toBe(true);
    // Opcode and value: two lengths per value, plus one unfinished value tried again per chunk.
    expect(w.reads).toBeLessThanOrEqual(2 * CLUSTER_SLOTS + 2 * w.pushes + 16);
    // The chunks merged once each, and the pieces joined once for the event.
    expect(w.allocated).toBeLessThanOrEqual(3 * file.length);
  });

  it(`a record over ${MAX_MODULE_AUX_BYTES / 1048576} MiB (one string declared 2 GiB) is refused once the limit is passed, holding no more than the limit`, () => {
    const head = new RdbWriter(9).byte(0xf7).len(MODULE_ID).len(2).len(2).len(5).raw([0x80, 0x7f, 0xff, 0xff, 0xff]).finish().subarray(0, -9);
    const MiB = Buffer.alloc(1024 * 1024);
    const w = measured((i) => (i === 0 ? head : i <= 80 ? MiB : null));
    const e = refusal(w);
    expect(e.code).toBe('RECORD_TOO_LARGE');
    expect(e.message).toMatch(/the MODULE_AUX record of module \S+ holds more than the limit of 64 MiB/);
    expect((w.pushes - 1) * MiB.length).toBeLessThanOrEqual(MAX_MODULE_AUX_BYTES + MiB.length);
    expect(w.peakBuffered).toBeLessThanOrEqual(MAX_MODULE_AUX_BYTES + 2 * MiB.length);
  });
});

describe('fuzzing MODULE_AUX and SLOT_IMPORT', () => {
  it('damaged records in random chunks end in a parse or an RdbError, with work linear in the input', () => {
    const rnd = prng(1602);
    const outcomes = new Map<string, number>();
    for (let i = 0; i < 300; i++) {
      const n = 1 + Math.floor(rnd() * 3000);
      let file = rnd() < 0.5
        ? slotImportFile(Array.from({ length: n }, (): [number, number] => {
          const a = Math.floor(rnd() * CLUSTER_SLOTS);
          return [a, Math.min(CLUSTER_SLOTS - 1, a + Math.floor(rnd() * 100))];
        }))
        : moduleAuxFile(n).file;
      const kind = rnd();
      if (kind < 0.3) {
        file = Buffer.from(file);
        for (let f = 0; f < 3; f++) file[9 + Math.floor(rnd() * (file.length - 9))] = Math.floor(rnd() * 256);
      } else if (kind < 0.5) {
        file = Buffer.from(file);
        const at = 10 + Math.floor(rnd() * 16);
        Buffer.from([0x80, 0xff, 0xff, 0xff, 0xf0]).copy(file, at);
      } else if (kind < 0.7) {
        file = file.subarray(0, 9 + Math.floor(rnd() * (file.length - 9)));
      }
      const maxChunk = rnd() < 0.5 ? 8 : 512;
      const w = measured(split(file, () => 1 + Math.floor(rnd() * maxChunk)));
      const outcome = w.result instanceof RdbError ? w.result.code : 'ok';
      if (outcome === 'INTERNAL') throw w.result;
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      // Every length read that succeeds consumes a byte; a chunk adds at most a few tried again.
      expect(w.reads, `case ${i}: ${file.length} bytes in ${w.pushes} chunks`).toBeLessThanOrEqual(file.length + 4 * w.pushes + 16);
      // Each chunk is merged with the unfinished unit before it (a few bytes); the aux data is joined once.
      expect(w.allocated, `case ${i}`).toBeLessThanOrEqual(2 * file.length + 16 * w.pushes + 1024);
    }
    expect(outcomes.get('ok') ?? 0).toBeGreaterThan(0);
    expect([...outcomes.keys()].filter((k) => k !== 'ok').length).toBeGreaterThan(1);
  });
});
