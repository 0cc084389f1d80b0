/**
 * Parsing in the RDB tests: a whole file in one push or fed in chunks of chosen
 * sizes, big keys reassembled from their key-start / key-batch / key-end events,
 * and a canonical view of events to compare two parses.
 */
import { RdbParser } from '../parser';
import type { ModuleValue, RdbEvent, RdbParserOptions, RdbTypeName, StreamEntry, StreamMeta } from '../types';

/** Parse in one push. */
export function parseWhole(buf: Buffer, opts: RdbParserOptions = {}): RdbEvent[] {
  const p = new RdbParser(opts);
  const events = [...p.push(buf)];
  events.push(...p.end());
  return events;
}

/** Parse feeding chunks whose sizes come from `size()` (e.g. random 1..7). */
export function parseChunked(buf: Buffer, size: () => number, opts: RdbParserOptions = {}): RdbEvent[] {
  const p = new RdbParser(opts);
  const events: RdbEvent[] = [];
  let i = 0;
  while (i < buf.length) {
    const n = Math.max(1, size());
    // Copy each chunk so that no view of the original file can hide a buffering bug.
    events.push(...p.push(Buffer.from(buf.subarray(i, i + n))));
    i += n;
  }
  events.push(...p.end());
  return events;
}

/** A key reassembled from either a `key` event or key-start / key-batch* / key-end. */
export interface AssembledKey {
  db: number;
  key: Buffer;
  typeId: number;
  typeName: RdbTypeName;
  encoding: string;
  expireAt: number | undefined;
  idle: number | undefined;
  freq: number | undefined;
  value: unknown;
  /** Raw bytes: from a `key` event, or for big modules the concatenated pieces. */
  raw: Buffer | undefined;
  big: boolean;
  batches: number;
}

export function assembleKeys(events: RdbEvent[]): AssembledKey[] {
  const keys: AssembledKey[] = [];
  let cur: AssembledKey | null = null;
  let parts: unknown[] = [];
  let module: ModuleValue | undefined;
  for (const ev of events) {
    if (ev.type === 'string-run') {
      if (cur) throw new Error('string run inside a big key');
      for (let i = 0; i < ev.count; i++) {
        const [ks, kl, vs, vl] = ev.spans.subarray(i * 4, i * 4 + 4);
        keys.push({
          db: ev.db,
          key: Buffer.from(ev.buf.subarray(ks!, ks! + kl!)),
          typeId: 0,
          typeName: 'string',
          encoding: 'string',
          expireAt: undefined,
          idle: undefined,
          freq: undefined,
          value: Buffer.from(ev.buf.subarray(vs!, vs! + vl!)),
          raw: undefined,
          big: false,
          batches: 0,
        });
      }
    } else if (ev.type === 'key') {
      if (cur) throw new Error('key event inside a big key');
      keys.push({
        db: ev.db,
        key: ev.key,
        typeId: ev.typeId,
        typeName: ev.typeName,
        encoding: ev.encoding,
        expireAt: ev.expireAt,
        idle: ev.idle,
        freq: ev.freq,
        value: ev.value,
        raw: ev.raw,
        big: false,
        batches: 0,
      });
    } else if (ev.type === 'key-start') {
      if (cur) throw new Error('nested key-start');
      cur = {
        db: ev.db,
        key: ev.key,
        typeId: ev.typeId,
        typeName: ev.typeName,
        encoding: ev.encoding,
        expireAt: ev.expireAt,
        idle: ev.idle,
        freq: ev.freq,
        value: undefined,
        raw: undefined,
        big: true,
        batches: 0,
      };
      parts = [];
      module = ev.module;
    } else if (ev.type === 'key-batch') {
      if (!cur || !cur.key.equals(ev.key) || cur.typeName !== ev.typeName) throw new Error('key-batch outside its key');
      cur.batches++;
      parts.push(...(ev.items as unknown[]));
    } else if (ev.type === 'key-end') {
      if (!cur || !cur.key.equals(ev.key)) throw new Error('key-end outside its key');
      if (ev.count !== parts.length) throw new Error(`key-end count ${ev.count} != ${parts.length} items`);
      switch (cur.typeName) {
        case 'string':
          cur.value = Buffer.concat(parts as Buffer[]);
          break;
        case 'module':
          cur.value = module;
          cur.raw = Buffer.concat(parts as Buffer[]);
          break;
        case 'stream':
          cur.value = { ...(ev.stream as StreamMeta), entries: parts as StreamEntry[] };
          break;
        default:
          cur.value = parts;
      }
      keys.push(cur);
      cur = null;
    }
  }
  if (cur) throw new Error('unterminated big key');
  return keys;
}

/** A JSON-able, Buffer-free, order-preserving view of events (to compare two parses). */
export function canonical(v: unknown): unknown {
  if (Buffer.isBuffer(v)) return 'b:' + v.toString('hex');
  if (typeof v === 'bigint') return 'n:' + v.toString();
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : Number.isNaN(v) ? 'NaN' : v === Infinity ? 'inf' : v === -Infinity ? '-inf' : v;
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) o[k] = canonical(x);
    return o;
  }
  return v;
}
