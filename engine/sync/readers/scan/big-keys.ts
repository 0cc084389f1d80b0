/**
 * A key over the big-key threshold, read on the source with its type's own commands in
 * windows rather than with one DUMP (which would serialise it whole, stalling the source
 * and holding it whole in memory on both sides): `HSCAN` (with `HPEXPIRETIME` of each
 * window's fields where the source has field TTLs), `SSCAN`, `ZSCAN` (with scores),
 * `LRANGE` windows, `GETRANGE` pieces, `XRANGE` pages and the stream's metadata and
 * consumer groups (`XINFO GROUPS`, `XINFO STREAM … FULL`). The key
 * comes out as the snapshot parser's big-key events (key-start, key-batch …, key-end),
 * which the snapshot loader writes as it writes a snapshot's big key: in batches into a
 * temporary key, renamed into place, with the absolute expiry read at the start.
 *
 * The windows are not one atomic read: a write to the key while it is read emits a key
 * event (notifications are subscribed before the scan), and the key is read again from
 * the change queue. A type this cannot window (a module's) is read with DUMP.
 */
import type { HashEntry, RdbEvent, StreamConsumer, StreamEntry, StreamGroup, StreamId, StreamMeta, ZsetEntry } from '../../../rdb/types';
import type { RespArg, RespValue } from '../../../resp';

/** Elements per window (the memory bound of a big key's read). */
export const BIG_KEY_WINDOW = 1000;
/** Bytes per GETRANGE piece of a big string. */
const STRING_PIECE = 1024 * 1024;

export interface BigKeySource {
  /** One command on the source, in `db`; an error reply is thrown. */
  call(db: number, argv: RespArg[]): Promise<RespValue>;
  /** The key's type and absolute expiry read together (undefined: the key no longer exists). */
  head(db: number, key: Buffer): Promise<{ type: string; expireAt: number | undefined } | undefined>;
  /** The key read whole (DUMP) as the parser's events, for a type without windows. */
  whole(db: number, key: Buffer): AsyncIterable<RdbEvent>;
  /** The source has hash fields with their own expiry (HPEXPIRETIME). */
  fieldTtl: boolean;
  /** Waits for the task's rate before each window. */
  throttle(): Promise<void>;
}

const TYPE_IDS = { string: 0, list: 18, set: 2, zset: 5, hash: 4, stream: 21 } as const;
type Windowed = keyof typeof TYPE_IDS;

/** The events of one big key (nothing when it is gone by the time it is read). */
export async function* bigKeyEvents(src: BigKeySource, db: number, key: Buffer, window = BIG_KEY_WINDOW): AsyncGenerator<RdbEvent> {
  const head = await src.head(db, key);
  if (!head) return;
  if (!(head.type in TYPE_IDS)) {
    yield* src.whole(db, key);
    return;
  }
  const typeName = head.type as Windowed;
  yield {
    type: 'key-start', offset: 0, db, key, typeId: TYPE_IDS[typeName], encoding: 'scan', expireAt: head.expireAt,
    idle: undefined, freq: undefined, typeName, module: undefined,
  };
  let count = 0;
  let stream: StreamMeta | undefined;
  const batch = (items: unknown[]): RdbEvent => {
    count += items.length;
    return { type: 'key-batch', db, key, typeName, items } as RdbEvent;
  };
  const call = async (argv: RespArg[]): Promise<RespValue> => {
    await src.throttle();
    return src.call(db, argv);
  };
  switch (typeName) {
    case 'string': {
      const length = Number(await call(['STRLEN', key]));
      for (let at = 0; at < length; at += STRING_PIECE) {
        const piece = await call(['GETRANGE', key, at, Math.min(at + STRING_PIECE, length) - 1]);
        if (Buffer.isBuffer(piece) && piece.length > 0) yield batch([piece]);
      }
      break;
    }
    case 'list':
      for (let at = 0; ; at += window) {
        const items = buffers(await call(['LRANGE', key, at, at + window - 1]));
        if (items.length > 0) yield batch(items);
        if (items.length < window) break;
      }
      break;
    case 'set':
      for await (const items of scanWindows(call, 'SSCAN', key, window)) yield batch(items);
      break;
    case 'zset':
      for await (const flat of scanWindows(call, 'ZSCAN', key, window)) {
        const entries: ZsetEntry[] = [];
        for (let i = 0; i + 1 < flat.length; i += 2) entries.push([flat[i]!, score(flat[i + 1]!)]);
        yield batch(entries);
      }
      break;
    case 'hash':
      for await (const flat of scanWindows(call, 'HSCAN', key, window)) {
        const fields: Buffer[] = [];
        for (let i = 0; i + 1 < flat.length; i += 2) fields.push(flat[i]!);
        const ttls = src.fieldTtl && fields.length > 0 ? await call(['HPEXPIRETIME', key, 'FIELDS', fields.length, ...fields]) : undefined;
        const entries: HashEntry[] = [];
        for (let i = 0; i + 1 < flat.length; i += 2) {
          const t = Array.isArray(ttls) ? Number(ttls[i / 2]) : -1;
          entries.push(t >= 0 ? [flat[i]!, flat[i + 1]!, t] : [flat[i]!, flat[i + 1]!]);
        }
        yield batch(entries);
      }
      break;
    case 'stream': {
      let start = '-';
      for (;;) {
        const reply = await call(['XRANGE', key, start, '+', 'COUNT', window]);
        const entries = streamEntries(reply);
        if (entries.length > 0) yield batch(entries);
        if (entries.length < window) break;
        start = formatId(nextId(entries[entries.length - 1]!.id));
      }
      stream = await streamMeta(call, key, window);
      break;
    }
  }
  yield { type: 'key-end', db, key, typeName, count, bytes: 0, stream };
}

/** SSCAN / ZSCAN / HSCAN windows: each a flat list of what the cursor returned. */
async function* scanWindows(call: (argv: RespArg[]) => Promise<RespValue>, command: string, key: Buffer, window: number): AsyncGenerator<Buffer[]> {
  let cursor = '0';
  do {
    const reply = await call([command, key, cursor, 'COUNT', window]);
    if (!Array.isArray(reply)) return;
    cursor = String(reply[0]);
    const items = buffers(reply[1] ?? null);
    if (items.length > 0) yield items;
  } while (cursor !== '0');
}

function buffers(reply: RespValue): Buffer[] {
  return Array.isArray(reply) ? reply.filter((x): x is Buffer => Buffer.isBuffer(x)) : [];
}

function score(b: Buffer): number {
  const s = b.toString('latin1');
  if (s === 'inf' || s === '+inf') return Infinity;
  if (s === '-inf') return -Infinity;
  return Number(s);
}

function parseId(v: RespValue): StreamId {
  const [ms, seq] = String(v).split('-');
  return { ms: BigInt(ms ?? 0), seq: BigInt(seq ?? 0) };
}

function formatId(id: StreamId): string {
  return `${id.ms}-${id.seq}`;
}

function nextId(id: StreamId): StreamId {
  return id.seq === 0xffffffffffffffffn ? { ms: id.ms + 1n, seq: 0n } : { ms: id.ms, seq: id.seq + 1n };
}

function streamEntries(reply: RespValue): StreamEntry[] {
  if (!Array.isArray(reply)) return [];
  const out: StreamEntry[] = [];
  for (const e of reply) {
    if (!Array.isArray(e) || e.length < 2) continue;
    out.push({ id: parseId(e[0]!), fields: buffers(e[1]!) });
  }
  return out;
}

/** A flat field/value reply (XINFO) as a map of its fields. */
function fieldsOf(reply: RespValue): Map<string, RespValue> {
  const m = new Map<string, RespValue>();
  if (Array.isArray(reply)) for (let i = 0; i + 1 < reply.length; i += 2) m.set(String(reply[i]), reply[i + 1]!);
  return m;
}

function optionalNumber(v: RespValue | undefined): number | undefined {
  return v === undefined || v === null ? undefined : Number(v);
}

/**
 * The stream's ids and counters and its consumer groups with their exact times, from
 * `XINFO STREAM … FULL COUNT n`, n being a window or the longest pending list of a group
 * (`XINFO GROUPS`), whichever is more: a stream's pending entries are held whole (as a
 * snapshot's are), and that read returns as many of its entries (dropped).
 */
async function streamMeta(call: (argv: RespArg[]) => Promise<RespValue>, key: Buffer, window: number): Promise<StreamMeta> {
  let longest = 0;
  const list = await call(['XINFO', 'GROUPS', key]);
  for (const g of Array.isArray(list) ? list : []) longest = Math.max(longest, Number(fieldsOf(g).get('pending') ?? 0));
  const info = fieldsOf(await call(['XINFO', 'STREAM', key, 'FULL', 'COUNT', Math.max(window, longest)]));
  const maxDeleted = info.get('max-deleted-entry-id');
  const meta: StreamMeta = {
    length: Number(info.get('length') ?? 0),
    lastId: parseId(info.get('last-generated-id') ?? '0-0'),
    firstId: undefined,
    maxDeletedId: maxDeleted === undefined ? undefined : parseId(maxDeleted),
    entriesAdded: optionalNumber(info.get('entries-added')),
    groups: [],
  };
  const groups = info.get('groups');
  for (const g of Array.isArray(groups) ? groups : []) {
    const gi = fieldsOf(g);
    const name = Buffer.from(gi.get('name') as Buffer);
    const entriesRead = gi.get('entries-read');
    const group: StreamGroup = {
      name,
      lastId: parseId(gi.get('last-delivered-id') ?? '0-0'),
      entriesRead: entriesRead === undefined ? undefined : entriesRead === null ? -1 : Number(entriesRead),
      pel: [],
      consumers: [],
    };
    const byName = new Map<string, StreamConsumer>();
    const consumers = gi.get('consumers');
    for (const c of Array.isArray(consumers) ? consumers : []) {
      const ci = fieldsOf(c);
      const seenTime = Number(ci.get('seen-time') ?? 0);
      const active = ci.get('active-time');
      const consumer: StreamConsumer = { name: Buffer.from(ci.get('name') as Buffer), seenTime,
        activeTime: active === undefined || Number(active) < 0 ? seenTime : Number(active), pel: [] };
      group.consumers.push(consumer);
      byName.set(consumer.name.toString('latin1'), consumer);
    }
    const pending = gi.get('pending');
    for (const row of Array.isArray(pending) ? pending : []) {
      if (!Array.isArray(row) || row.length < 4) continue;
      const id = parseId(row[0]!);
      group.pel.push({ id, deliveryTime: Number(row[2]), deliveryCount: Number(row[3]) });
      byName.get(String(row[1]))?.pel.push(id);
    }
    meta.groups.push(group);
  }
  return meta;
}
