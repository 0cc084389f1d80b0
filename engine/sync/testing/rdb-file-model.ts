/**
 * What a destination must hold after an RDB file was restored, as the RDB parser
 * reads the file, and the same facts read back from a live server, in one
 * comparable shape.
 */
import type Redis from 'ioredis';
import { parseRdbFile } from '../../rdb';
import type { RdbKeyEvent, StreamId, StreamValue } from '../../rdb/types';

export interface KeyModel {
  db: number;
  /** hex of the key's bytes */
  key: string;
  type: string;
  value: unknown;
  /** Absolute expiry in ms, -1 for none. */
  expireAt: number;
}

export interface FileModel {
  keys: KeyModel[];
  /** FUNCTION LOAD sources (library code). */
  functions: string[];
  /** RDB type ids by key (hex), to know which were rewritten. */
  typeIds: Map<string, number>;
  magic: 'REDIS' | 'VALKEY';
}

const hex = (b: Buffer) => b.toString('hex');
const id = (i: StreamId) => `${i.ms}-${i.seq}`;
const byFirst = <T extends [string, ...unknown[]]>(a: T, b: T) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

export interface StreamModel {
  entries: [string, string[]][];
  lastId: string;
  entriesAdded: number | undefined;
  maxDeletedId: string | undefined;
  groups: {
    name: string;
    lastId: string;
    entriesRead: number | null | undefined;
    pending: [string, string, number, number][];
    consumers: { name: string; seenTime: number | undefined; pending: string[] }[];
  }[];
}

function streamModel(v: StreamValue): StreamModel {
  return {
    entries: v.entries.map((e) => [id(e.id), e.fields.map(hex)]),
    lastId: id(v.lastId),
    entriesAdded: v.entriesAdded,
    maxDeletedId: v.maxDeletedId ? id(v.maxDeletedId) : undefined,
    groups: v.groups.map((g) => {
      const owner = new Map<string, string>();
      for (const c of g.consumers) for (const p of c.pel) owner.set(id(p), hex(c.name));
      return {
        name: hex(g.name),
        lastId: id(g.lastId),
        entriesRead: g.entriesRead === undefined ? undefined : g.entriesRead === -1 ? null : g.entriesRead,
        pending: g.pel.map((p): [string, string, number, number] => [id(p.id), owner.get(id(p.id)) ?? '?', p.deliveryTime, p.deliveryCount]),
        consumers: g.consumers.map((c) => ({ name: hex(c.name), seenTime: c.seenTime, pending: c.pel.map(id) })),
      };
    }),
  };
}

function valueModel(e: RdbKeyEvent, now: number): { type: string; value: unknown } {
  switch (e.typeName) {
    case 'string': return { type: 'string', value: hex(e.value) };
    case 'list': return { type: 'list', value: e.value.map(hex) };
    case 'set': return { type: 'set', value: e.value.map(hex).sort() };
    case 'zset': return { type: 'zset', value: e.value.map(([m, s]): [string, number] => [hex(m), s]).sort(byFirst) };
    case 'hash': return {
      type: 'hash',
      value: e.value.filter((f) => f.length === 2 || f[2] > now).map((f): [string, string] => [hex(f[0]), hex(f[1])]).sort(byFirst),
    };
    case 'stream': return { type: 'stream', value: streamModel(e.value) };
    case 'module': return { type: 'module', value: e.value.name };
  }
}

/** The live keys of a file (expired ones left out), its functions, and its type ids. */
export async function readFileModel(file: string, now = Date.now()): Promise<FileModel> {
  const model: FileModel = { keys: [], functions: [], typeIds: new Map(), magic: 'REDIS' };
  for await (const batch of parseRdbFile(file)) {
    for (const e of batch) {
      if (e.type === 'header') model.magic = e.magic;
      if (e.type === 'function') model.functions.push(e.source.toString());
      if (e.type === 'key-start') throw new Error(`${file}: big keys are not modelled by this helper`);
      if (e.type !== 'key') continue;
      if (e.expireAt !== undefined && e.expireAt <= now) continue;
      model.typeIds.set(hex(e.key), e.typeId);
      model.keys.push({ db: e.db, key: hex(e.key), ...valueModel(e, now), expireAt: e.expireAt ?? -1 });
    }
  }
  return model;
}

type Reply = Buffer | number | null | Reply[];

function field(reply: Reply, name: string): Reply | undefined {
  if (!Array.isArray(reply)) return undefined;
  for (let i = 0; i + 1 < reply.length; i += 2) if (String(reply[i]) === name) return reply[i + 1];
  return undefined;
}

const str = (r: Reply | undefined) => (Buffer.isBuffer(r) ? r.toString('latin1') : String(r));
const num = (r: Reply | undefined) => Number(str(r));

function score(s: string): number {
  if (s === 'inf') return Infinity;
  if (s === '-inf') return -Infinity;
  return Number(s);
}

async function liveStream(c: Redis, key: Buffer): Promise<StreamModel> {
  const range = (await c.callBuffer('XRANGE', key, '-', '+')) as [Buffer, Buffer[]][];
  const full = (await c.callBuffer('XINFO', 'STREAM', key, 'FULL')) as Reply;
  const maxDeleted = field(full, 'max-deleted-entry-id');
  const groups = (field(full, 'groups') as Reply[] | undefined) ?? [];
  return {
    entries: range.map(([i, fields]) => [i.toString(), fields.map(hex)]),
    lastId: str(field(full, 'last-generated-id')),
    entriesAdded: num(field(full, 'entries-added')),
    maxDeletedId: maxDeleted === undefined ? undefined : str(maxDeleted),
    groups: groups.map((g) => {
      const entriesRead = field(g, 'entries-read');
      return {
        name: hex(field(g, 'name') as Buffer),
        lastId: str(field(g, 'last-delivered-id')),
        entriesRead: entriesRead === null ? null : num(entriesRead),
        pending: ((field(g, 'pending') as Reply[][]) ?? []).map((p): [string, string, number, number] =>
          [str(p[0]), hex(p[1] as Buffer), num(p[2]), num(p[3])]),
        consumers: ((field(g, 'consumers') as Reply[]) ?? []).map((cn) => ({
          name: hex(field(cn, 'name') as Buffer),
          seenTime: num(field(cn, 'seen-time')),
          pending: ((field(cn, 'pending') as Reply[][]) ?? []).map((p) => str(p[0])),
        })),
      };
    }),
  };
}

/** The keys of the given DBs on a live server, in the file model's shape. */
export async function readLiveModel(c: Redis, dbs: number[]): Promise<KeyModel[]> {
  const out: KeyModel[] = [];
  for (const db of dbs) {
    await c.select(db);
    const keys = (await c.callBuffer('KEYS', '*')) as Buffer[];
    for (const key of keys) {
      const type = String(await c.type(key));
      let value: unknown;
      switch (type) {
        case 'string': value = hex((await c.getBuffer(key)) ?? Buffer.alloc(0)); break;
        case 'list': value = (await c.lrangeBuffer(key, 0, -1)).map(hex); break;
        case 'set': value = (await c.smembersBuffer(key)).map(hex).sort(); break;
        case 'zset': {
          const flat = (await c.callBuffer('ZRANGE', key, 0, -1, 'WITHSCORES')) as Buffer[];
          const pairs: [string, number][] = [];
          for (let i = 0; i < flat.length; i += 2) pairs.push([hex(flat[i]), score(flat[i + 1].toString())]);
          value = pairs.sort(byFirst);
          break;
        }
        case 'hash': {
          const flat = (await c.callBuffer('HGETALL', key)) as Buffer[];
          const pairs: [string, string][] = [];
          for (let i = 0; i < flat.length; i += 2) pairs.push([hex(flat[i]), hex(flat[i + 1])]);
          value = pairs.sort(byFirst);
          break;
        }
        case 'stream': value = await liveStream(c, key); break;
        default: value = type;
      }
      out.push({ db, key: hex(key), type, value, expireAt: Number(await c.call('PEXPIRETIME', key)) });
    }
  }
  await c.select(0);
  return out.sort((a, b) => a.db - b.db || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/**
 * The file model as a Redis 7.0 destination shows it: metadata the file does not
 * store (type 15 streams) is what the server derives, and consumers written with
 * commands (rewritten streams) carry the destination's clock as seen-time.
 */
export function expectedOn70(model: FileModel, live: KeyModel[], rewritten: (typeId: number) => boolean): KeyModel[] {
  const liveByKey = new Map(live.map((k) => [`${k.db}/${k.key}`, k]));
  return model.keys.map((k) => {
    if (k.type !== 'stream') return k;
    const v = structuredClone(k.value) as StreamModel;
    const got = liveByKey.get(`${k.db}/${k.key}`)?.value as StreamModel | undefined;
    if (v.entriesAdded === undefined) v.entriesAdded = got?.entriesAdded;
    if (v.maxDeletedId === undefined) v.maxDeletedId = got?.maxDeletedId;
    v.groups.forEach((g, gi) => {
      if (g.entriesRead === undefined) g.entriesRead = got?.groups[gi]?.entriesRead;
      if (rewritten(model.typeIds.get(k.key) ?? -1)) {
        g.consumers.forEach((cn, ci) => {
          cn.seenTime = got?.groups[gi]?.consumers[ci]?.seenTime;
        });
      }
    });
    return { ...k, value: v };
  }).sort((a, b) => a.db - b.db || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}
