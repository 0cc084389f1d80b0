/**
 * The `stringRuns` option: plain strings without expiry arrive as offsets in `string-run`
 * events, and everything else exactly as without it. Every fixture and a synthetic RDB with
 * each kind of string record must give the same keys, in the same order, both ways — whole
 * and fed in random 1..7-byte chunks.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { assembleKeys, parseChunked, parseWhole, type AssembledKey } from './testing/parse';
import { prng } from '../testing/prng';
import { lzfRdbString, RdbWriter } from './testing/rdb-writer';
import type { RdbEvent, RdbStringRunEvent } from './types';

const DIR = path.join(import.meta.dirname, 'fixtures');

/** What a consumer of the keys sees: the same with and without runs. */
function view(keys: AssembledKey[]): unknown[] {
  return keys.map((k) => ({
    db: k.db,
    key: k.key.toString('hex'),
    type: k.typeName,
    expireAt: k.expireAt,
    value: Buffer.isBuffer(k.value) ? k.value.toString('hex') : JSON.stringify(k.value, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v)),
  }));
}

function runs(events: RdbEvent[]): RdbStringRunEvent[] {
  return events.filter((e): e is RdbStringRunEvent => e.type === 'string-run');
}

function expectSameKeys(rdb: Buffer, opts: { bigKeyThreshold?: number } = {}): RdbEvent[] {
  const plain = view(assembleKeys(parseWhole(rdb, opts)));
  const whole = parseWhole(rdb, { ...opts, stringRuns: true });
  expect(view(assembleKeys(whole))).toEqual(plain);
  const rnd = prng(rdb.length);
  expect(view(assembleKeys(parseChunked(rdb, () => 1 + Math.floor(rnd() * 7), { ...opts, stringRuns: true })))).toEqual(plain);
  return whole;
}

describe('string runs', () => {
  it('give every fixture the same keys as key events do', () => {
    let inRuns = 0;
    for (const f of fs.readdirSync(DIR).filter((n) => n.endsWith('.rdb')).sort()) {
      const events = expectSameKeys(fs.readFileSync(path.join(DIR, f)));
      inRuns += runs(events).reduce((n, r) => n + r.count, 0);
    }
    expect(inRuns).toBeGreaterThan(10);
  });

  it('take only plain strings without expiry, split at 512 keys, and keep DB and order', () => {
    const w = new RdbWriter(10).selectDb(0);
    for (let i = 0; i < 600; i++) w.byte(0).str(`k${i}`).str(`v${i}x`);
    w.byte(0).str('').str(''); // empty key and value
    w.byte(0).str('k'.repeat(200)).str('v'.repeat(300)); // 14-bit lengths
    w.byte(0).str('big32').str(Buffer.alloc(70_000, 7)); // 32-bit value length
    w.byte(0).str('int').byte(0xc0).byte(42); // integer-encoded: a key event
    lzfRdbString(w.byte(0).str('lzf'), Buffer.alloc(500, 0x61)); // compressed: a key event
    w.byte(0xfc).raw(Buffer.from([0, 0, 0, 0, 0, 0, 0x10, 0])).byte(0).str('expiring').str('e'); // expiry: a key event
    w.byte(0xf8).len(5).byte(0).str('idle').str('i'); // LRU hint: stays in the run
    w.selectDb(3);
    w.byte(0).str('db3').str('three');
    const rdb = w.finish();

    const events = expectSameKeys(rdb);
    const r = runs(events);
    expect(r.map((e) => [e.db, e.count])).toEqual([[0, 512], [0, 91], [0, 1], [3, 1]]);
    const keyEvents = events.filter((e) => e.type === 'key').map((e) => (e.type === 'key' ? e.key.toString() : ''));
    expect(keyEvents).toEqual(['int', 'lzf', 'expiring']);
  });

  it('leave a value over the big-key threshold to the big-key events', () => {
    const rdb = new RdbWriter(10).selectDb(0).byte(0).str('a').str('1').byte(0).str('huge').str(Buffer.alloc(5000, 1)).byte(0).str('b').str('2').finish();
    const events = expectSameKeys(rdb, { bigKeyThreshold: 1024 });
    expect(events.map((e) => e.type).filter((t) => t !== 'key-batch')).toEqual(['header', 'selectdb', 'string-run', 'key-start', 'key-end', 'string-run', 'eof']);
  });
});
