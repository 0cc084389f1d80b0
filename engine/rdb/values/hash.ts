/**
 * Hashes: RDB types 4 (HASH: field, value pairs), the one-blob encodings 9 (zipmap), 13 (ziplist)
 * and 16 (listpack), and the hashes whose fields carry their own expiry: 22–25 in REDIS files
 * (Redis 7.4) and 22 in VALKEY files (HASH_2).
 */
import { HashSink, HashTripleSink } from '../elements';
import type { Reader } from '../reader';
import { blobValue, type BlobLayout } from './blob-value';
import {
  countedUnits, newScratch, tryUnit, unitU64, type Core, type KeyState, type Machine, type Scratch,
} from './decoder';

function unitPair(r: Reader, s: Scratch): void {
  s.a = r.readString();
  s.b = r.readString();
}

/** HASH_METADATA(_PRE_GA): len ttl, field, value. */
function unitTtlPair(r: Reader, s: Scratch): void {
  s.n = r.readLen();
  s.a = r.readString();
  s.b = r.readString();
}

/** Valkey HASH_2: field, value, int64 LE absolute ms (-1 = none). */
function unitPairI64(r: Reader, s: Scratch): void {
  s.a = r.readString();
  s.b = r.readString();
  s.n = r.i64le();
}

/** HASH: len n, n × (field, value). */
export function hashtableHash(p: Core, k: KeyState): Machine {
  const sink = new HashSink();
  k.sink = sink;
  return countedUnits(p, k, newScratch(), unitPair, (s) => sink.push([s.a, s.b]));
}

export const HASH_ZIPMAP: BlobLayout = { container: 'zipmap', sink: () => new HashSink() };
export const HASH_ZIPLIST: BlobLayout = { container: 'ziplist', sink: () => new HashSink() };
export const HASH_LISTPACK: BlobLayout = { container: 'listpack', sink: () => new HashSink() };

/**
 * Hashes with field TTLs stored as a dict:
 * - 'pre-ga' (type 22 in REDIS files): len n, n × (len ttl absolute ms, 0 = none; field; value)
 * - 'ga' (type 24): u64 LE minExpire, len n, n × (len ttl; field; value), expiry = ttl + minExpire − 1
 * - 'valkey' (type 22 in VALKEY files, HASH_2): len n, n × (field; value; int64 LE ms, −1 = none)
 */
function* hashTtlPairs(p: Core, k: KeyState, kind: 'pre-ga' | 'ga' | 'valkey'): Machine {
  const r = p.r;
  const sink = new HashSink();
  k.sink = sink;
  const s = newScratch();
  let minExpire = 0;
  if (kind === 'ga') {
    while (!tryUnit(r, unitU64, s)) {
      p.beforeWait(k);
      yield;
    }
    minExpire = s.n;
  }
  const unit = kind === 'valkey' ? unitPairI64 : unitTtlPair;
  yield* countedUnits(p, k, s, unit, (u) => {
    if (kind === 'valkey') sink.push(u.n === -1 ? [u.a, u.b] : [u.a, u.b, u.n]);
    else if (u.n === 0) sink.push([u.a, u.b]);
    else sink.push([u.a, u.b, kind === 'ga' ? u.n + minExpire - 1 : u.n]);
  });
}

export function hashMetadataPreGa(p: Core, k: KeyState): Machine {
  return hashTtlPairs(p, k, 'pre-ga');
}

export function hashMetadata(p: Core, k: KeyState): Machine {
  return hashTtlPairs(p, k, 'ga');
}

export function valkeyHash2(p: Core, k: KeyState): Machine {
  return hashTtlPairs(p, k, 'valkey');
}

/** HASH_LISTPACK_EX_PRE_GA: a listpack of (field, value, ttl) triples. */
export function hashListpackExPreGa(p: Core, k: KeyState): Machine {
  return blobValue(p, k, 'listpack', (k.sink = new HashTripleSink()), 'listpack-ex');
}

/** HASH_LISTPACK_EX: u64 LE minExpire (unused: the triples hold absolute times), then the listpack of triples. */
export function* hashListpackEx(p: Core, k: KeyState): Machine {
  const s = newScratch();
  while (!tryUnit(p.r, unitU64, s)) {
    p.beforeWait(k);
    yield;
  }
  yield* blobValue(p, k, 'listpack', (k.sink = new HashTripleSink()), 'listpack-ex');
}
