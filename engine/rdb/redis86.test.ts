/**
 * RDB 13 (Redis 8.6): a file written by the real Redis 8.6.3 (Debian experimental) with a type 26
 * stream (STREAM_LISTPACKS_4: XADD … IDMP's producers), a consumer group, a hash and a string.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseRdbBuffer } from './index';
import type { RdbEvent } from './types';

const FILE = path.join(import.meta.dirname, 'fixtures', 'redis86_stream_idmp.rdb');

describe('RDB 13 (Redis 8.6.3)', () => {
  it('reads the type 26 stream with its idempotent producers, and the rest of the file', () => {
    const events: RdbEvent[] = [...parseRdbBuffer(fs.readFileSync(FILE))].flat();
    expect(events[0]).toEqual({ type: 'header', magic: 'REDIS', version: 13 });
    expect(events.at(-1)).toMatchObject({ type: 'eof', checksum: 'verified' });
    const keys = new Map(events.flatMap((e) => (e.type === 'key' ? [[e.key.toString(), e] as const] : [])));
    const s = keys.get('s')!;
    expect(s).toMatchObject({ typeId: 26, typeName: 'stream' });
    if (s.typeName !== 'stream') throw new Error('not a stream');
    expect(s.value.entries.map((e) => e.fields.map(String))).toEqual([['a', '1'], ['b', '2'], ['c', '3']]);
    expect(s.value.groups.map((g) => [g.name.toString(), g.pel.length, g.consumers.map((c) => c.name.toString())])).toEqual([['g', 1, ['alice']]]);
    const idmp = s.value.idmp!;
    expect(idmp).toMatchObject({ durationS: 100, maxSize: 100, iidsAdded: 2, iidsDuplicates: 1 });
    expect(idmp.producers.map((p) => [p.pid.toString(), p.iids.map((i) => i.iid.toString())])).toEqual([['p1', ['i1']], ['p2', ['j1']]]);
    expect(keys.get('h')).toMatchObject({ typeName: 'hash' });
    expect(keys.get('k')).toMatchObject({ typeName: 'string' });
  });
});
