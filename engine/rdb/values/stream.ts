/**
 * Streams: RDB types 15, 19, 21 and 26 (STREAM_LISTPACKS 1/2/3/4; REFERENCE §2.9). Type 26 (RDB 13,
 * Redis 8.6) is type 21 followed by the idempotent-producer state of XADD … IDMP: len duration, len
 * max size, len producers, each (string pid, len n, n × (string iid, len ms, len seq)), then len
 * iids added and len iids duplicated — as real Redis 8.6.3 files have it. The node listpacks'
 * entries are decoded by `../stream.ts`; this reads the layout around them: nodes, then the
 * stream's metadata (v2 adds first id, max deleted id and entries added), then consumer groups
 * (v2 adds entries read; v3 gives consumers an active time).
 */
import type { Reader } from '../reader';
import { rawStreamId, StreamSink } from '../stream';
import type { StreamGroup, StreamId, StreamIdmp, StreamMeta } from '../types';
import { EMPTY, tryLen, tryUnit, type Core, type KeyState, type Machine } from './decoder';
import { blobValue } from './blob-value';

interface StreamScratch {
  v2: boolean;
  v3: boolean;
  length: number;
  lastId: StreamId;
  firstId: StreamId | undefined;
  maxDeletedId: StreamId | undefined;
  entriesAdded: number | undefined;
  count: number;
  name: Buffer;
  id: StreamId;
  entriesRead: number | undefined;
  time: number;
  time2: number;
  dcount: number;
  masterId: Buffer;
}

const ZERO_ID: StreamId = { ms: 0n, seq: 0n };
const U64_MAX = (1n << 64n) - 1n;

function lenId(r: Reader): StreamId {
  const ms = r.readLenBig();
  const seq = r.readLenBig();
  return { ms, seq };
}

function bigToNumber(v: bigint): number {
  return v === U64_MAX ? -1 : Number(v);
}

function unitStreamHeader(r: Reader, s: StreamScratch): void {
  s.length = r.readLen();
  s.lastId = lenId(r);
  if (s.v2) {
    s.firstId = lenId(r);
    s.maxDeletedId = lenId(r);
    s.entriesAdded = bigToNumber(r.readLenBig());
  }
  s.count = r.readLen();
}

function unitGroupHeader(r: Reader, s: StreamScratch): void {
  s.name = r.readString();
  s.id = lenId(r);
  s.entriesRead = s.v2 ? bigToNumber(r.readLenBig()) : undefined;
  s.count = r.readLen();
}

function unitPel(r: Reader, s: StreamScratch): void {
  s.id = rawStreamId(r.bytes(16));
  s.time = r.i64le();
  s.dcount = r.readLen();
}

function unitCount(r: Reader, s: StreamScratch): void {
  s.count = r.readLen();
}

function unitConsumerHeader(r: Reader, s: StreamScratch): void {
  s.name = r.readString();
  s.time = r.i64le();
  s.time2 = s.v3 ? r.i64le() : s.time;
  s.count = r.readLen();
}

function unitRawId(r: Reader, s: StreamScratch): void {
  s.id = rawStreamId(r.bytes(16));
}

function unitMasterId(r: Reader, s: StreamScratch): void {
  const at = r.pos;
  s.masterId = r.readString();
  if (s.masterId.length !== 16) r.fail(`stream node key is ${s.masterId.length} bytes, expected a 16-byte ID`, 'CORRUPT', at);
}

export function streamListpacks(p: Core, k: KeyState): Machine {
  return streamValue(p, k, 1);
}

export function streamListpacks2(p: Core, k: KeyState): Machine {
  return streamValue(p, k, 2);
}

export function streamListpacks3(p: Core, k: KeyState): Machine {
  return streamValue(p, k, 3);
}

export function streamListpacks4(p: Core, k: KeyState): Machine {
  return streamValue(p, k, 4);
}

function unitIdmpHeader(r: Reader, s: StreamScratch): void {
  s.time = r.readLen();
  s.time2 = r.readLen();
  s.count = r.readLen();
}

function unitProducer(r: Reader, s: StreamScratch): void {
  s.name = r.readString();
  s.count = r.readLen();
}

function unitIid(r: Reader, s: StreamScratch): void {
  s.masterId = r.readString();
  s.id = lenId(r);
}

function unitIdmpCounts(r: Reader, s: StreamScratch): void {
  s.time = r.readLen();
  s.dcount = r.readLen();
}

function* idmpSection(p: Core, k: KeyState, s: StreamScratch): Generator<void, StreamIdmp, void> {
  const r = p.r;
  while (!tryUnit(r, unitIdmpHeader, s)) {
    p.beforeWait(k);
    yield;
  }
  const idmp: StreamIdmp = { durationS: s.time, maxSize: s.time2, producers: [], iidsAdded: 0, iidsDuplicates: 0 };
  const nproducers = s.count;
  for (let i = 0; i < nproducers; i++) {
    while (!tryUnit(r, unitProducer, s)) {
      p.beforeWait(k);
      yield;
    }
    const producer = { pid: s.name, iids: [] as { iid: Buffer; id: StreamId }[] };
    const niids = s.count;
    for (let j = 0; j < niids; j++) {
      while (!tryUnit(r, unitIid, s)) {
        p.beforeWait(k);
        yield;
      }
      producer.iids.push({ iid: s.masterId, id: s.id });
    }
    idmp.producers.push(producer);
  }
  while (!tryUnit(r, unitIdmpCounts, s)) {
    p.beforeWait(k);
    yield;
  }
  idmp.iidsAdded = s.time;
  idmp.iidsDuplicates = s.dcount;
  return idmp;
}

function* streamValue(p: Core, k: KeyState, layout: 1 | 2 | 3 | 4): Machine {
  const r = p.r;
  const sink = new StreamSink();
  k.sink = sink;
  const s: StreamScratch = {
    v2: layout >= 2,
    v3: layout >= 3,
    length: 0,
    lastId: ZERO_ID,
    firstId: undefined,
    maxDeletedId: undefined,
    entriesAdded: undefined,
    count: 0,
    name: EMPTY,
    id: ZERO_ID,
    entriesRead: undefined,
    time: 0,
    time2: 0,
    dcount: 0,
    masterId: EMPTY,
  };
  let nodes: number;
  while ((nodes = tryLen(r)) < 0) {
    p.beforeWait(k);
    yield;
  }
  for (let i = 0; i < nodes; i++) {
    while (!tryUnit(r, unitMasterId, s)) {
      p.beforeWait(k);
      yield;
    }
    sink.startNode(s.masterId);
    yield* blobValue(p, k, 'listpack', sink, 'stream listpack');
    sink.endNode();
  }
  while (!tryUnit(r, unitStreamHeader, s)) {
    p.beforeWait(k);
    yield;
  }
  const meta: StreamMeta = {
    length: s.length,
    lastId: s.lastId,
    firstId: s.firstId,
    maxDeletedId: s.maxDeletedId,
    entriesAdded: s.entriesAdded,
    groups: [],
  };
  const ngroups = s.count;
  for (let g = 0; g < ngroups; g++) {
    while (!tryUnit(r, unitGroupHeader, s)) {
      p.beforeWait(k);
      yield;
    }
    const group: StreamGroup = { name: s.name, lastId: s.id, entriesRead: s.entriesRead, pel: [], consumers: [] };
    const npel = s.count;
    for (let i = 0; i < npel; i++) {
      while (!tryUnit(r, unitPel, s)) {
        p.beforeWait(k);
        yield;
      }
      group.pel.push({ id: s.id, deliveryTime: s.time, deliveryCount: s.dcount });
    }
    while (!tryUnit(r, unitCount, s)) {
      p.beforeWait(k);
      yield;
    }
    const nconsumers = s.count;
    for (let c = 0; c < nconsumers; c++) {
      while (!tryUnit(r, unitConsumerHeader, s)) {
        p.beforeWait(k);
        yield;
      }
      const consumer = { name: s.name, seenTime: s.time, activeTime: s.time2, pel: [] as StreamId[] };
      const nids = s.count;
      for (let i = 0; i < nids; i++) {
        while (!tryUnit(r, unitRawId, s)) {
          p.beforeWait(k);
          yield;
        }
        consumer.pel.push(s.id);
      }
      group.consumers.push(consumer);
    }
    meta.groups.push(group);
  }
  if (layout >= 4) meta.idmp = yield* idmpSection(p, k, s);
  k.stream = meta;
}
