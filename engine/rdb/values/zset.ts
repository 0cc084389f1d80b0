/**
 * Sorted sets: RDB types 3 (ZSET: member, ASCII score), 5 (ZSET_2: member, f64 LE score),
 * 12 (ZSET_ZIPLIST) and 17 (ZSET_LISTPACK), the blobs holding alternating member and score.
 */
import { parseScoreText, ZsetSink } from '../elements';
import type { Reader } from '../reader';
import type { BlobLayout } from './blob-value';
import { countedUnits, newScratch, type Core, type KeyState, type Machine, type Scratch } from './decoder';

function unitZsetText(r: Reader, s: Scratch): void {
  s.a = r.readString();
  const len = r.u8();
  if (len === 253) s.score = NaN;
  else if (len === 254) s.score = Infinity;
  else if (len === 255) s.score = -Infinity;
  else s.score = parseScoreText(r.bytes(len).toString('latin1'));
}

function unitZsetBinary(r: Reader, s: Scratch): void {
  s.a = r.readString();
  s.score = r.f64le();
}

function zsetPairs(p: Core, k: KeyState, unit: (r: Reader, s: Scratch) => void): Machine {
  const sink = new ZsetSink();
  k.sink = sink;
  return countedUnits(p, k, newScratch(), unit, (s) => sink.push(s.a, s.score));
}

export function skiplistZset(p: Core, k: KeyState): Machine {
  return zsetPairs(p, k, unitZsetText);
}

export function skiplistZset2(p: Core, k: KeyState): Machine {
  return zsetPairs(p, k, unitZsetBinary);
}

export const ZSET_ZIPLIST: BlobLayout = { container: 'ziplist', sink: () => new ZsetSink() };
export const ZSET_LISTPACK: BlobLayout = { container: 'listpack', sink: () => new ZsetSink() };
