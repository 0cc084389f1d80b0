/**
 * The `lazyValues` option: blob-encoded small values are decoded when `value` is read.
 * Every fixture gives the same keys and values both ways; a value never read is never
 * decoded; a damaged blob is reported when read; an empty one is still skipped.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RdbError } from './errors';
import { canonical, parseChunked, parseWhole } from './testing/parse';
import { prng } from '../testing/prng';
import { encodeListpack, RdbWriter } from './testing/rdb-writer';
import type { RdbEvent, RdbKeyEvent } from './types';

const DIR = path.join(import.meta.dirname, 'fixtures');

function keys(events: RdbEvent[]): unknown[] {
  return events.filter((e): e is RdbKeyEvent => e.type === 'key').map((e) => canonical({
    offset: e.offset, db: e.db, key: e.key, typeId: e.typeId, typeName: e.typeName, encoding: e.encoding,
    expireAt: e.expireAt, idle: e.idle, freq: e.freq, value: e.value, raw: e.raw,
  }));
}

describe('lazy values', () => {
  it('give every fixture the same keys, values and raw bytes as eager decoding', () => {
    for (const f of fs.readdirSync(DIR).filter((n) => n.endsWith('.rdb')).sort()) {
      const rdb = fs.readFileSync(path.join(DIR, f));
      const eager = keys(parseWhole(rdb));
      expect(keys(parseWhole(rdb, { lazyValues: true })), f).toEqual(eager);
      const rnd = prng(rdb.length);
      expect(keys(parseChunked(rdb, () => 1 + Math.floor(rnd() * 7), { lazyValues: true })), f).toEqual(eager);
    }
  });

  it('report a damaged blob when its value is read, and still skip an empty one', () => {
    const good = encodeListpack(['f1', 'v1', 'f2', 'v2']);
    const damaged = Buffer.from(good);
    damaged[6] = 0xff; // the first entry's encoding byte becomes the end marker
    const empty = encodeListpack([]);
    const rdb = new RdbWriter(10).selectDb(0)
      .byte(16).str('good').str(good)
      .byte(16).str('damaged').str(damaged)
      .byte(16).str('empty').str(empty)
      .finish();

    const eagerErr = (() => {
      try {
        parseWhole(rdb);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(eagerErr).toBeInstanceOf(RdbError);

    const events = parseWhole(rdb, { lazyValues: true });
    const byKey = new Map(events.filter((e): e is RdbKeyEvent => e.type === 'key').map((e) => [e.key.toString(), e]));
    expect([...byKey.keys()]).toEqual(['good', 'damaged']);
    expect(byKey.get('good')!.value).toEqual([[Buffer.from('f1'), Buffer.from('v1')], [Buffer.from('f2'), Buffer.from('v2')]]);
    expect(() => byKey.get('damaged')!.value).toThrow(RdbError);
    expect(events.find((e) => e.type === 'eof')).toMatchObject({ emptyKeysSkipped: 1 });
  });
});
