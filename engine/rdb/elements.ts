/**
 * Elements produced by the blob decoders and the sinks that turn them into decoded values.
 *
 * Ziplist/listpack/intset entries are strings (Buffer views) or integers (number when exactly
 * representable, else bigint). A sink receives elements one by one (`add`) and builds the
 * type's items: list/set members, zset pairs, hash pairs or triples. Sinks accumulate into
 * `items`; for big keys the parser swaps `items` out in bounded batches.
 */
import { RdbError } from './errors';
import type { HashEntry, ZsetEntry } from './types';

export type Element = Buffer | number | bigint;

export function toBuf(v: Element): Buffer {
  return typeof v === 'object' ? v : Buffer.from(String(v), 'latin1');
}

export function corrupt(detail: string): never {
  throw new RdbError('CORRUPT', detail, -1);
}

/** An integer element (strings holding a decimal integer are accepted, as Redis does). */
export function toSafeInt(v: Element, what: string): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') {
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) corrupt(`${what} ${v} is out of range`);
    return Number(v);
  }
  const s = v.toString('latin1');
  if (!/^-?\d{1,16}$/.test(s)) corrupt(`${what} is not an integer (${JSON.stringify(s.slice(0, 40))})`);
  return Number(s);
}

/** An integer element as bigint (for stream ID deltas). */
export function toBigInt(v: Element, what: string): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return BigInt(v);
  const s = v.toString('latin1');
  if (!/^-?\d{1,20}$/.test(s)) corrupt(`${what} is not an integer (${JSON.stringify(s.slice(0, 40))})`);
  return BigInt(s);
}

/**
 * A score written as text (zset ziplist/listpack entries, RDB type 3): "%.17g" output, or
 * inf/-inf/nan as Redis's d2string writes them.
 */
export function parseScoreText(s: string): number {
  const n = Number(s);
  if (!Number.isNaN(n) && s.length > 0 && s.trim() === s) return n;
  const l = s.toLowerCase();
  if (l === 'inf' || l === '+inf' || l === 'infinity' || l === '+infinity') return Infinity;
  if (l === '-inf' || l === '-infinity') return -Infinity;
  if (l === 'nan' || l === '-nan') return NaN;
  return corrupt(`invalid score ${JSON.stringify(s.slice(0, 40))}`);
}

export function toScore(v: Element): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  return parseScoreText(v.toString('latin1'));
}

/** Receives elements and builds items. */
export abstract class Sink<T> {
  items: T[] = [];
  /** Approximate payload bytes in `items`. */
  bytes = 0;
  abstract add(v: Element): void;
  /** Size used to split batches. */
  abstract itemBytes(item: T): number;
  /** Called when the value is complete: checks no pair/triple is left half-filled. */
  finish(): void {}
}

/** List and set members. */
export class BufferSink extends Sink<Buffer> {
  add(v: Element): void {
    const b = typeof v === 'object' ? v : Buffer.from(String(v), 'latin1');
    this.items.push(b);
    this.bytes += b.length + 8;
  }
  push(b: Buffer): void {
    this.items.push(b);
    this.bytes += b.length + 8;
  }
  itemBytes(item: Buffer): number {
    return item.length + 8;
  }
}

/** Hash field/value pairs (alternating elements). */
export class HashSink extends Sink<HashEntry> {
  private field: Buffer | null = null;
  add(v: Element): void {
    const b = toBuf(v);
    if (this.field === null) {
      this.field = b;
    } else {
      this.items.push([this.field, b]);
      this.bytes += this.field.length + b.length + 16;
      this.field = null;
    }
  }
  push(entry: HashEntry): void {
    this.items.push(entry);
    this.bytes += entry[0].length + entry[1].length + 16;
  }
  itemBytes(item: HashEntry): number {
    return item[0].length + item[1].length + 16;
  }
  override finish(): void {
    if (this.field !== null) corrupt('hash encoding holds an odd number of elements');
  }
}

/**
 * Hash field/value/ttl triples (listpack-ex types 23 and 25): ttl is an absolute Unix-ms
 * integer, 0 meaning no expiry.
 */
export class HashTripleSink extends HashSink {
  private f: Buffer | null = null;
  private v: Buffer | null = null;
  override add(e: Element): void {
    if (this.f === null) {
      this.f = toBuf(e);
    } else if (this.v === null) {
      this.v = toBuf(e);
    } else {
      const ttl = toSafeInt(e, 'field TTL');
      if (ttl < 0) corrupt(`negative field TTL ${ttl}`);
      this.push(ttl === 0 ? [this.f, this.v] : [this.f, this.v, ttl]);
      this.f = null;
      this.v = null;
    }
  }
  override finish(): void {
    if (this.f !== null) corrupt('hash listpack-ex holds an incomplete field/value/ttl triple');
  }
}

/** Sorted-set member/score pairs. */
export class ZsetSink extends Sink<ZsetEntry> {
  private member: Buffer | null = null;
  add(v: Element): void {
    if (this.member === null) {
      this.member = toBuf(v);
    } else {
      this.items.push([this.member, toScore(v)]);
      this.bytes += this.member.length + 24;
      this.member = null;
    }
  }
  push(member: Buffer, score: number): void {
    this.items.push([member, score]);
    this.bytes += member.length + 24;
  }
  itemBytes(item: ZsetEntry): number {
    return item[0].length + 24;
  }
  override finish(): void {
    if (this.member !== null) corrupt('sorted-set encoding holds an odd number of elements');
  }
}
