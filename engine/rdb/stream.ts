/**
 * Stream decoding (RDB types 15, 19, 21; Redis `t_stream.c` and `rdb.c`).
 *
 * Each node is a 16-byte master ID (ms u64 BE, seq u64 BE) and a listpack:
 *  - master entry: count, deleted, nf, field_1..field_nf, 0
 *  - then count+deleted entries: flags, ms-delta, seq-delta, then either (flags & SAMEFIELDS)
 *    nf values, or n, (field, value) × n; then lp-count.
 *  - flags & DELETED: the entry is deleted but still stored (skipped here).
 */
import { corrupt, Sink, toBigInt, toBuf, toSafeInt, type Element } from './elements';
import type { StreamEntry, StreamId } from './types';

export const STREAM_ITEM_FLAG_DELETED = 1;
export const STREAM_ITEM_FLAG_SAMEFIELDS = 2;

const S_COUNT = 0;
const S_DELETED = 1;
const S_NF = 2;
const S_MFIELD = 3;
const S_MTERM = 4;
const S_FLAGS = 5;
const S_MS = 6;
const S_SEQ = 7;
const S_SAMEVAL = 8;
const S_NUM = 9;
const S_FV = 10;
const S_LPCOUNT = 11;
const S_DONE = 12;

const U64_MAX = (1n << 64n) - 1n;

/** Builds live stream entries from the elements of successive node listpacks. */
export class StreamSink extends Sink<StreamEntry> {
  private state = S_DONE;
  private masterMs = 0n;
  private masterSeq = 0n;
  private count = 0;
  private deleted = 0;
  private nf = 0;
  private masterFields: Buffer[] = [];
  private remaining = 0;
  private flags = 0;
  private msDelta: Element = 0;
  private seqDelta: Element = 0;
  private cur: Buffer[] = [];
  private left = 0;
  private curBytes = 0;

  startNode(masterId: Buffer): void {
    if (this.state !== S_DONE) corrupt('stream node listpack ended in the middle of an entry');
    this.masterMs = masterId.readBigUInt64BE(0);
    this.masterSeq = masterId.readBigUInt64BE(8);
    this.state = S_COUNT;
  }

  endNode(): void {
    if (this.state === S_COUNT) corrupt('empty listpack inside a stream');
    if (this.state !== S_DONE) corrupt('stream node listpack ended in the middle of an entry');
  }

  override finish(): void {
    if (this.state !== S_DONE) corrupt('stream node listpack ended in the middle of an entry');
  }

  add(v: Element): void {
    switch (this.state) {
      case S_COUNT:
        this.count = toSafeInt(v, 'stream node entry count');
        this.state = S_DELETED;
        break;
      case S_DELETED:
        this.deleted = toSafeInt(v, 'stream node deleted count');
        if (this.count < 0 || this.deleted < 0) corrupt('negative stream node counters');
        this.state = S_NF;
        break;
      case S_NF:
        this.nf = toSafeInt(v, 'stream master field count');
        if (this.nf < 0) corrupt('negative stream master field count');
        this.masterFields = [];
        this.state = this.nf > 0 ? S_MFIELD : S_MTERM;
        break;
      case S_MFIELD:
        this.masterFields.push(toBuf(v));
        if (this.masterFields.length === this.nf) this.state = S_MTERM;
        break;
      case S_MTERM:
        if (toSafeInt(v, 'stream master entry terminator') !== 0) corrupt('stream master entry is not terminated by 0');
        this.remaining = this.count + this.deleted;
        this.state = this.remaining > 0 ? S_FLAGS : S_DONE;
        break;
      case S_FLAGS:
        this.flags = toSafeInt(v, 'stream entry flags');
        this.state = S_MS;
        break;
      case S_MS:
        this.msDelta = v;
        this.state = S_SEQ;
        break;
      case S_SEQ:
        this.seqDelta = v;
        this.cur = [];
        this.curBytes = 0;
        if (this.flags & STREAM_ITEM_FLAG_SAMEFIELDS) {
          this.left = this.nf;
          this.state = this.left > 0 ? S_SAMEVAL : S_LPCOUNT;
        } else {
          this.state = S_NUM;
        }
        break;
      case S_SAMEVAL: {
        const val = toBuf(v);
        const field = this.masterFields[this.cur.length >> 1]!;
        this.cur.push(field, val);
        this.curBytes += field.length + val.length + 16;
        if (--this.left === 0) this.state = S_LPCOUNT;
        break;
      }
      case S_NUM: {
        const n = toSafeInt(v, 'stream entry field count');
        if (n < 0) corrupt('negative stream entry field count');
        this.left = n * 2;
        this.state = this.left > 0 ? S_FV : S_LPCOUNT;
        break;
      }
      case S_FV: {
        const b = toBuf(v);
        this.cur.push(b);
        this.curBytes += b.length + 8;
        if (--this.left === 0) this.state = S_LPCOUNT;
        break;
      }
      case S_LPCOUNT: {
        toSafeInt(v, 'stream entry lp-count');
        if (!(this.flags & STREAM_ITEM_FLAG_DELETED)) {
          const ms = this.masterMs + toBigInt(this.msDelta, 'stream ID delta');
          const seq = this.masterSeq + toBigInt(this.seqDelta, 'stream ID delta');
          if (ms < 0n || ms > U64_MAX || seq < 0n || seq > U64_MAX) corrupt('stream entry ID out of range');
          this.items.push({ id: { ms, seq }, fields: this.cur });
          this.bytes += this.curBytes + 48;
        }
        this.remaining--;
        this.state = this.remaining > 0 ? S_FLAGS : S_DONE;
        break;
      }
      default:
        corrupt('stream node listpack holds more entries than its master entry declares');
    }
  }

  itemBytes(item: StreamEntry): number {
    let n = 48;
    for (const f of item.fields) n += f.length + 8;
    return n;
  }
}

/** Parse a 16-byte raw stream ID (ms u64 BE, seq u64 BE). */
export function rawStreamId(b: Buffer): StreamId {
  return { ms: b.readBigUInt64BE(0), seq: b.readBigUInt64BE(8) };
}

/** "ms-seq", the way Redis prints IDs. */
export function formatStreamId(id: StreamId): string {
  return `${id.ms}-${id.seq}`;
}
