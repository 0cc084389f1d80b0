import path from 'node:path';
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseRdbBuffer } from '../rdb';
import type { RdbKeyEvent, StreamValue } from '../rdb/types';
import { streamType21To19 } from './stream-downgrade';

const FIXTURE = path.resolve(import.meta.dirname, '../rdb/fixtures/stream_listoacks_3.rdb');

function keyEvent(events: ReturnType<typeof parseRdbBuffer>): RdbKeyEvent {
  const e = events.find((x): x is RdbKeyEvent => x.type === 'key');
  if (!e) throw new Error('no key in the RDB');
  return e;
}

/** A minimal RDB holding one key of `typeId` with `raw` as its value (checksum 0: not checked). */
function rdbWith(typeId: number, key: Buffer, raw: Buffer): Buffer {
  return Buffer.concat([
    Buffer.from('REDIS0010'), Buffer.from([0xfe, 0x00, typeId, key.length]), key, raw, Buffer.from([0xff]), Buffer.alloc(8),
  ]);
}

describe('streamType21To19', () => {
  it('drops only the consumers\' active-time: the type 19 value decodes to the same stream', () => {
    const original = keyEvent(parseRdbBuffer(fs.readFileSync(FIXTURE)));
    expect(original.typeId).toBe(21);
    const v2 = streamType21To19(original.raw);
    const consumers = (original.value as StreamValue).groups.reduce((n, g) => n + g.consumers.length, 0);
    expect(original.raw.length - v2.length).toBe(8 * consumers);

    const again = keyEvent(parseRdbBuffer(rdbWith(19, original.key, v2)));
    expect(again.typeId).toBe(19);
    const v = original.value as StreamValue;
    // Type 19 has no active-time: a reader takes the seen-time for it.
    const want = { ...v, groups: v.groups.map((g) => ({ ...g, consumers: g.consumers.map((c) => ({ ...c, activeTime: c.seenTime })) })) };
    expect(again.value).toEqual(want);
  });

  it('refuses bytes that are not a type 21 stream, with a typed error', () => {
    const original = keyEvent(parseRdbBuffer(fs.readFileSync(FIXTURE)));
    expect(() => streamType21To19(original.raw.subarray(0, original.raw.length - 5))).toThrow(/does not have the expected layout/);
    expect(() => streamType21To19(Buffer.concat([original.raw, Buffer.from([1])]))).toThrow(/bytes follow the last consumer group/);
  });
});
