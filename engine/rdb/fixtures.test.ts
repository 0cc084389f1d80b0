/**
 * Every fixture parses; where a golden JSON exists (from HDT3213/rdb), keys, types, values and
 * expiry match it exactly. Each fixture is also fed in random 1..7-byte chunks and with a tiny
 * big-key threshold, and must produce the same keys.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { assembleKeys, canonical, parseChunked, parseWhole, type AssembledKey } from './testing/parse';
import { prng } from '../testing/prng';
import type { HashEntry, RdbEvent, StreamId, StreamValue, ZsetEntry } from './types';

const DIR = path.join(import.meta.dirname, 'fixtures');
const rdbFiles = fs.readdirSync(DIR).filter((f) => f.endsWith('.rdb')).sort();

const utf8 = new TextDecoder('utf-8');
const str = (b: Buffer) => utf8.decode(b);
const id = (i: StreamId) => `${i.ms}-${i.seq}`;

/** Our key in the golden file's shape (minus `size`/`encoding`). */
function toGolden(k: AssembledKey): Record<string, unknown> {
  const g: Record<string, unknown> = { db: k.db, key: str(k.key), type: k.typeName };
  if (k.expireAt !== undefined) g.expiration = k.expireAt;
  switch (k.typeName) {
    case 'string':
      g.value = str(k.value as Buffer);
      break;
    case 'list':
      g.values = (k.value as Buffer[]).map(str);
      break;
    case 'set':
      g.members = (k.value as Buffer[]).map(str);
      break;
    case 'zset':
      g.entries = (k.value as ZsetEntry[]).map(([m, s]) => ({ member: str(m), score: s }));
      break;
    case 'hash': {
      const h: Record<string, string> = {};
      const exp: Record<string, number> = {};
      let anyTtl = false;
      for (const e of k.value as HashEntry[]) {
        h[str(e[0])] = str(e[1]);
        exp[str(e[0])] = e[2] ?? 0;
        if (e.length === 3) anyTtl = true;
      }
      g.hash = h;
      if (anyTtl) g.expire = exp;
      break;
    }
    case 'stream': {
      const s = k.value as StreamValue;
      g.entries = s.entries.map((e) => {
        const f: Record<string, string> = {};
        for (let i = 0; i < e.fields.length; i += 2) f[str(e.fields[i]!)] = str(e.fields[i + 1]!);
        return { id: id(e.id), fields: f };
      });
      g.len = s.length;
      g.lastId = id(s.lastId);
      if (s.firstId) g.firstId = id(s.firstId);
      if (s.maxDeletedId) g.maxDeletedId = id(s.maxDeletedId);
      if (s.entriesAdded !== undefined) g.addedEntriesCount = s.entriesAdded;
      if (s.groups.length) {
        g.groups = s.groups.map((gr) => {
          const o: Record<string, unknown> = {
            name: str(gr.name),
            lastId: id(gr.lastId),
            pending: gr.pel.map((p) => ({ id: id(p.id), deliveryTime: p.deliveryTime, deliveryCount: p.deliveryCount })),
            consumers: gr.consumers.map((c) => ({
              name: str(c.name),
              seenTime: c.seenTime,
              pending: c.pel.map(id),
              activeTime: c.activeTime,
            })),
          };
          if (gr.entriesRead !== undefined) o.entriesRead = gr.entriesRead;
          return o;
        });
      }
      break;
    }
  }
  return g;
}

/** The golden record normalised to the same shape. */
function fromGolden(r: any): Record<string, unknown> {
  const g: Record<string, unknown> = { db: r.db, key: r.key, type: r.type };
  if (r.expiration) g.expiration = Date.parse(r.expiration);
  switch (r.type) {
    case 'string':
      g.value = r.value;
      break;
    case 'list':
      g.values = r.values;
      break;
    case 'set':
      g.members = r.members;
      break;
    case 'zset':
      g.entries = r.entries;
      break;
    case 'hash':
      g.hash = r.hash;
      if (r.expire) g.expire = r.expire;
      break;
    case 'stream': {
      const entries: unknown[] = [];
      for (const node of r.entries ?? []) {
        for (const m of node.msgs) if (!m.deleted) entries.push({ id: m.id, fields: m.fields });
      }
      g.entries = entries;
      g.len = r.len;
      g.lastId = r.lastId;
      if (r.firstId) g.firstId = r.firstId;
      if (r.maxDeletedId) g.maxDeletedId = r.maxDeletedId;
      if (r.addedEntriesCount !== undefined) g.addedEntriesCount = r.addedEntriesCount;
      if (r.groups?.length) {
        g.groups = r.groups.map((gr: any) => {
          const o: Record<string, unknown> = {
            name: gr.name,
            lastId: gr.lastId,
            pending: gr.pending ?? [],
            consumers: (gr.consumers ?? []).map((c: any) => ({
              name: c.name,
              seenTime: c.seenTime,
              pending: c.pending ?? [],
              activeTime: c.activeTime,
            })),
          };
          if (gr.entriesRead !== undefined) o.entriesRead = gr.entriesRead;
          return o;
        });
      }
      break;
    }
    default:
      throw new Error(`unexpected golden type ${r.type}`);
  }
  return g;
}

function nonKeyEvents(events: RdbEvent[]): unknown {
  return canonical(events.filter((e) => !e.type.startsWith('key')));
}

describe('RDB fixtures', () => {
  it('has the fixtures and their licence', () => {
    expect(rdbFiles.length).toBeGreaterThanOrEqual(39);
    expect(fs.existsSync(path.join(DIR, 'LICENSE.Apache-2.0'))).toBe(true);
  });

  for (const file of rdbFiles) {
    const buf = fs.readFileSync(path.join(DIR, file));
    const goldenPath = path.join(DIR, file.replace(/\.rdb$/, '.json'));

    describe(file, () => {
      const events = parseWhole(buf);
      const keys = assembleKeys(events);

      it('parses to EOF with a verified or legitimately skipped checksum', () => {
        expect(events[0]?.type).toBe('header');
        const eof = events.at(-1);
        expect(eof?.type).toBe('eof');
        if (eof?.type === 'eof') {
          expect(eof.bytes).toBe(buf.length);
          if (eof.checksum === 'skipped') expect(['version', 'zero']).toContain(eof.checksumSkipReason);
        }
        for (const k of keys) expect(k.big).toBe(false);
      });

      if (fs.existsSync(goldenPath)) {
        it('matches the golden JSON', () => {
          const golden = JSON.parse(fs.readFileSync(goldenPath, 'utf8')) as any[];
          const goldenKeys = golden.filter((r) => r.type !== 'aux' && r.type !== 'functions').map(fromGolden);
          expect(keys.map(toGolden)).toEqual(goldenKeys);
          for (const r of golden.filter((x) => x.type === 'aux')) {
            const aux = events.find((e) => e.type === 'aux' && e.key === r.key);
            expect(aux && aux.type === 'aux' ? aux.value.toString() : undefined).toBe(r.value);
          }
          const fns = events.filter((e) => e.type === 'function').map((e) => (e.type === 'function' ? e.source.toString() : ''));
          expect(fns).toEqual(golden.filter((x) => x.type === 'functions').map((x) => x.functionsLua));
        });
      }

      it('gives identical events when fed in random 1..7-byte chunks', () => {
        const rnd = prng(buf.length * 31 + 7);
        const chunked = parseChunked(buf, () => 1 + Math.floor(rnd() * 7));
        expect(canonical(chunked)).toEqual(canonical(events));
      });

      it('gives the same keys as batches under a tiny big-key threshold', () => {
        const opts = { bigKeyThreshold: 16, batchMaxItems: 3, batchMaxBytes: 64 };
        const rnd = prng(buf.length * 17 + 3);
        for (const evs of [parseWhole(buf, opts), parseChunked(buf, () => 1 + Math.floor(rnd() * 50), opts)]) {
          const bigKeys = assembleKeys(evs);
          expect(canonical(bigKeys.map(({ raw, big, batches, ...rest }) => rest))).toEqual(
            canonical(keys.map(({ raw, big, batches, ...rest }) => rest)),
          );
          expect(nonKeyEvents(evs)).toEqual(nonKeyEvents(events));
          for (const ev of evs) {
            if (ev.type === 'key-batch') expect(ev.items.length).toBeLessThanOrEqual(3);
            if (ev.type === 'key') expect(ev.raw.length).toBeLessThanOrEqual(16);
          }
        }
      });
    });
  }
});
