/**
 * Big keys: values over `bigKeyThreshold` arrive as key-start, bounded key-batch events and
 * key-end, for every kind of layout (element lists, quicklists, single huge listpacks with and
 * without LZF, huge strings, streams, modules), while the parser's retained memory stays
 * bounded. Inputs are generated and fed incrementally, never materialised whole.
 */
import { describe, expect, it } from 'vitest';
import { Crc64 } from './crc64';
import { RdbParser } from './parser';
import { assembleKeys } from './testing/parse';
import { encodeListpack, lzfCompress, RdbWriter } from './testing/rdb-writer';
import type { RdbEvent, RdbParserOptions } from './types';

/** Bytes of one RdbWriter call sequence (without the header). */
function bytesOf(build: (w: RdbWriter) => unknown): Buffer {
  const w = new RdbWriter(10);
  build(w);
  return Buffer.concat((w as any).parts.slice(1));
}

/**
 * Feed a generated RDB (header, the given record pieces, EOF, CRC) in `chunk`-byte pushes.
 * Returns the events, and the largest `bufferedBytes` seen after any push.
 */
function feedGenerated(
  pieces: Iterable<Buffer>,
  opts: RdbParserOptions,
  chunk = 16 * 1024,
  onEvents?: (evs: RdbEvent[]) => void,
): { events: RdbEvent[]; maxBuffered: number; total: number } {
  const p = new RdbParser(opts);
  const crc = new Crc64();
  const events: RdbEvent[] = [];
  let maxBuffered = 0;
  let total = 0;
  let acc: Buffer[] = [];
  let accLen = 0;
  const push = (b: Buffer) => {
    const evs = p.push(b);
    if (onEvents) onEvents(evs);
    else events.push(...evs);
    maxBuffered = Math.max(maxBuffered, p.bufferedBytes);
  };
  const emit = (b: Buffer, force = false) => {
    crc.update(b);
    total += b.length;
    acc.push(b);
    accLen += b.length;
    while (accLen >= chunk || (force && accLen > 0)) {
      const all = Buffer.concat(acc);
      const n = Math.min(chunk, all.length);
      push(all.subarray(0, n));
      acc = n < all.length ? [all.subarray(n)] : [];
      accLen = all.length - n;
    }
  };
  emit(Buffer.from('REDIS0010'));
  for (const piece of pieces) emit(piece);
  emit(Buffer.from([0xff]), true);
  const tail = Buffer.alloc(8);
  crc.writeLE(tail, 0);
  push(tail);
  const end = p.end();
  if (onEvents) onEvents(end);
  else events.push(...end);
  return { events, maxBuffered, total };
}

const OPTS: RdbParserOptions = { bigKeyThreshold: 4096, batchMaxItems: 1000, batchMaxBytes: 32 * 1024 };

function checkBatches(events: RdbEvent[], maxItems: number): void {
  for (const ev of events) if (ev.type === 'key-batch') expect(ev.items.length).toBeLessThanOrEqual(maxItems);
}

describe('big keys', () => {
  it('a 100k-element LIST (type 1) under a tiny threshold: key-start, bounded batches, key-end; memory bounded', () => {
    const N = 100_000;
    function* gen() {
      yield bytesOf((w) => w.raw([0xfc, 0, 0, 0, 0, 0, 1, 0, 0]).byte(1).str('biglist').len(N));
      for (let i = 0; i < N; i++) yield bytesOf((w) => w.str(`element-${i}`));
      yield bytesOf((w) => w.byte(0).str('after').str('small'));
    }
    let batches = 0;
    let items = 0;
    let ok = true;
    const types: string[] = [];
    const { maxBuffered, total } = feedGenerated(gen(), OPTS, 16 * 1024, (evs) => {
      for (const ev of evs) {
        if (types.at(-1) !== ev.type) types.push(ev.type);
        if (ev.type === 'key-start') expect(ev).toMatchObject({ typeName: 'list', typeId: 1, expireAt: 2 ** 40 });
        if (ev.type === 'key-batch' && ev.typeName === 'list') {
          batches++;
          expect(ev.items.length).toBeLessThanOrEqual(1000);
          for (const el of ev.items) ok &&= el.toString() === `element-${items++}`;
        }
        if (ev.type === 'key-end') expect(ev).toMatchObject({ count: N, typeName: 'list' });
      }
    });
    expect(total).toBeGreaterThan(1_000_000);
    expect(ok).toBe(true);
    expect(items).toBe(N);
    expect(batches).toBeGreaterThanOrEqual(100);
    expect(types).toEqual(['header', 'key-start', 'key-batch', 'key-end', 'key', 'eof']);
    // One 16 KiB chunk + at most one batch of decoded items + slack; far below the 1.2 MB value.
    expect(maxBuffered).toBeLessThan(64 * 1024);
  });

  it('a QUICKLIST_2 of 1000 listpack nodes (half LZF-compressed, some PLAIN) streams the same', () => {
    const NODES = 1000;
    let expected = 0;
    function* gen() {
      yield bytesOf((w) => w.byte(18).str('ql').len(NODES));
      for (let n = 0; n < NODES; n++) {
        if (n % 10 === 9) {
          yield bytesOf((w) => w.len(1).str(`plain-${n}-${'p'.repeat(100)}`));
          expected++;
          continue;
        }
        const els = Array.from({ length: 100 }, (_, i) => (i % 3 === 0 ? n * 100 + i : `n${n}-e${i}-${'x'.repeat(i % 20)}`));
        expected += els.length;
        const lp = encodeListpack(els);
        if (n % 2) yield bytesOf((w) => w.len(2).str(lp));
        else {
          const c = lzfCompress(lp);
          yield bytesOf((w) => w.len(2).byte(0xc3).len(c.length).len(lp.length).raw(c));
        }
      }
    }
    const { events, maxBuffered } = feedGenerated(gen(), OPTS, 8 * 1024);
    const [k] = assembleKeys(events);
    expect(k!.big).toBe(true);
    expect((k!.value as Buffer[]).length).toBe(expected);
    expect((k!.value as Buffer[])[0]!.toString()).toBe('0');
    expect((k!.value as Buffer[])[1]!.toString()).toBe('n0-e1-x');
    checkBatches(events, 1000);
    expect(maxBuffered).toBeLessThan(96 * 1024);
  });

  for (const lzf of [false, true]) {
    it(`a single ${lzf ? 'LZF-compressed ' : ''}2.6 MB hash listpack (type 16) is pumped, not held whole`, () => {
      const N = 100_000;
      const els: (string | number)[] = [];
      for (let i = 0; i < N; i++) els.push(`field:${i}`, i % 2 ? i : `value-${i}-${'v'.repeat(i % 7)}`);
      const lp = encodeListpack(els);
      expect(lp.length).toBeGreaterThan(2_000_000);
      function* gen() {
        if (!lzf) {
          yield bytesOf((w) => w.byte(16).str('bighash').len(lp.length));
          for (let i = 0; i < lp.length; i += 10_000) yield lp.subarray(i, i + 10_000);
        } else {
          const c = lzfCompress(lp);
          yield bytesOf((w) => w.byte(16).str('bighash').byte(0xc3).len(c.length).len(lp.length));
          for (let i = 0; i < c.length; i += 10_000) yield c.subarray(i, i + 10_000);
        }
      }
      let fields = 0;
      let ok = true;
      const { maxBuffered } = feedGenerated(gen(), OPTS, 16 * 1024, (evs) => {
        for (const ev of evs) {
          if (ev.type === 'key-batch' && ev.typeName === 'hash') {
            for (const [f, v] of ev.items) {
              const i = fields++;
              ok &&= f.toString() === `field:${i}` && v.toString() === (i % 2 ? String(i) : `value-${i}-${'v'.repeat(i % 7)}`);
            }
          }
          if (ev.type === 'key') ok = false;
        }
      });
      expect(ok).toBe(true);
      expect(fields).toBe(N);
      expect(maxBuffered).toBeLessThan(200 * 1024);
    });
  }

  for (const lzf of [false, true]) {
    it(`a 3 MB ${lzf ? 'LZF ' : ''}string arrives in pieces that concatenate to the value`, () => {
      const value = Buffer.alloc(3_000_000);
      for (let i = 0; i < value.length; i++) value[i] = lzf ? 97 + ((i >> 6) % 13) : (i * 2654435761) >>> 24;
      function* gen() {
        if (!lzf) {
          yield bytesOf((w) => w.byte(0).str('bigstring').len(value.length));
          for (let i = 0; i < value.length; i += 50_000) yield value.subarray(i, i + 50_000);
        } else {
          const c = lzfCompress(value);
          yield bytesOf((w) => w.byte(0).str('bigstring').byte(0xc3).len(c.length).len(value.length));
          for (let i = 0; i < c.length; i += 50_000) yield c.subarray(i, i + 50_000);
        }
      }
      const { events, maxBuffered } = feedGenerated(gen(), OPTS, 64 * 1024);
      const [k] = assembleKeys(events);
      expect(k!.big).toBe(true);
      expect((k!.value as Buffer).equals(value)).toBe(true);
      for (const ev of events) if (ev.type === 'key-batch') expect((ev.items[0] as Buffer).length).toBeLessThanOrEqual(32 * 1024 + 264);
      expect(maxBuffered).toBeLessThan(160 * 1024);
    });
  }

  it('a stream with 2000 nodes and consumer groups: entries in batches, metadata in key-end', () => {
    const NODES = 2000;
    const id = (ms: number, seq: number) => {
      const b = Buffer.alloc(16);
      b.writeBigUInt64BE(BigInt(ms), 0);
      b.writeBigUInt64BE(BigInt(seq), 8);
      return b;
    };
    function* gen() {
      yield bytesOf((w) => w.byte(21).str('bigstream').len(NODES));
      for (let n = 0; n < NODES; n++) {
        // master entry: count 3, deleted 1, 2 fields (a, b), 0; entries: same fields, other fields, deleted.
        const lp = encodeListpack([
          3, 1, 2, 'a', 'b', 0,
          2, 0, 0, `va${n}`, `vb${n}`, 3,
          0, 0, 1, 1, 'c', `vc${n}`, 5,
          3, 0, 2, 'x', 'y', 3,
          2, 1, 0, 'p', 'q', 3,
        ]);
        yield bytesOf((w) => w.str(id(1000 + n, 0)).str(lp));
      }
      yield bytesOf((w) => {
        w.len(NODES * 3).len(1000 + NODES).len(0).len(1000).len(0).len(0).len(0).len(NODES * 4).len(1);
        w.str('group').len(1000).len(0).len(5).len(1);
        const t = Buffer.alloc(8);
        t.writeBigInt64LE(1700000000000n);
        w.raw(id(1000, 0)).raw(t).len(2);
        w.len(1).str('consumer').raw(t).raw(t).len(1).raw(id(1000, 0));
      });
    }
    const { events, maxBuffered } = feedGenerated(gen(), OPTS, 16 * 1024);
    const [k] = assembleKeys(events);
    const v = k!.value as any;
    expect(k!.big).toBe(true);
    expect(v.entries).toHaveLength(NODES * 3);
    expect(v.entries[0].id).toEqual({ ms: 1000n, seq: 0n });
    expect(v.entries[0].fields.map(String)).toEqual(['a', 'va0', 'b', 'vb0']);
    expect(v.entries[1].fields.map(String)).toEqual(['c', 'vc0']);
    expect(v.entries[2].id).toEqual({ ms: 1001n, seq: 0n });
    expect(v.entries[2].fields.map(String)).toEqual(['a', 'p', 'b', 'q']);
    expect(v.length).toBe(NODES * 3);
    expect(v.groups[0].name.toString()).toBe('group');
    expect(v.groups[0].pel).toEqual([{ id: { ms: 1000n, seq: 0n }, deliveryTime: 1700000000000, deliveryCount: 2 }]);
    expect(v.groups[0].consumers[0].pel).toEqual([{ ms: 1000n, seq: 0n }]);
    expect(events.find((e) => e.type === 'key-end')).toMatchObject({ typeName: 'stream', count: NODES * 3 });
    checkBatches(events, 1000);
    expect(maxBuffered).toBeLessThan(96 * 1024);
  });

  it('a 2 MB module value arrives as raw pieces that concatenate to the exact value bytes', () => {
    const payload = Buffer.alloc(2_000_000, 7);
    const head = bytesOf((w) => w.len(0x1234567890n << 10n).len(2).len(99).len(5).len(payload.length));
    const tail = bytesOf((w) => w.len(4).raw(Buffer.alloc(8, 1)).len(0));
    function* gen() {
      yield bytesOf((w) => w.byte(7).str('bigmodule'));
      yield head;
      for (let i = 0; i < payload.length; i += 100_000) yield payload.subarray(i, i + 100_000);
      yield tail;
    }
    const { events, maxBuffered } = feedGenerated(gen(), OPTS, 16 * 1024);
    const [k] = assembleKeys(events);
    expect(k!.big).toBe(true);
    expect(k!.raw!.equals(Buffer.concat([head, payload, tail]))).toBe(true);
    expect(events.find((e) => e.type === 'key-start')).toMatchObject({ module: { moduleId: 0x1234567890n << 10n } });
    expect(maxBuffered).toBeLessThan(96 * 1024);
  });

  it('the threshold is on the value size: ≤ threshold is one key event with raw, > threshold is big', () => {
    const value = 'v'.repeat(1000);
    const file = new RdbWriter(10).byte(0).str('k').str(value).finish();
    const raw = bytesOf((w) => w.str(value));
    const at = (t: number) => {
      const p = new RdbParser({ bigKeyThreshold: t });
      return [...p.push(file), ...p.end()].filter((e) => e.type.startsWith('key')).map((e) => e.type);
    };
    expect(at(raw.length)).toEqual(['key']);
    expect(at(raw.length - 1)).toEqual(['key-start', 'key-batch', 'key-end']);
  });
});
