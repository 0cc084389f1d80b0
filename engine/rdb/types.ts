/**
 * Events produced by the streaming RDB parser (`RdbParser`, `parseRdb`).
 *
 * Order of events in a well-formed snapshot:
 *
 *   header, then any of (aux | selectdb | resizedb | function | module-aux | slot-info |
 *   slot-import | key | key-start key-batch* key-end)*, then eof.
 *
 * A key whose encoded value is at most `bigKeyThreshold` bytes arrives as ONE `key` event
 * with both the decoded value and the value's raw RDB bytes (for a DUMP payload, see
 * `buildDumpPayload`). A bigger key arrives as `key-start`, then `key-batch` events of bounded
 * size, then `key-end`; its raw bytes are never assembled.
 *
 * Buffers in events are views into the input chunks (zero copy). The parser never writes into
 * memory it has handed out, so they stay valid; but a retained view keeps its whole input chunk
 * alive, so copy (`Buffer.from(buf)`) anything you keep for long.
 */

export type RdbMagic = 'REDIS' | 'VALKEY';

/** Redis data type of a key, as TYPE reports it. */
export type RdbTypeName = 'string' | 'list' | 'set' | 'zset' | 'hash' | 'stream' | 'module';

/** A stream ID: milliseconds and sequence, both unsigned 64-bit. */
export interface StreamId {
  ms: bigint;
  seq: bigint;
}

/** One live stream entry. `fields` is flat: field, value, field, value, ... */
export interface StreamEntry {
  id: StreamId;
  fields: Buffer[];
}

export interface StreamPendingEntry {
  id: StreamId;
  /** Last delivery time, Unix ms. */
  deliveryTime: number;
  deliveryCount: number;
}

export interface StreamConsumer {
  name: Buffer;
  /** Unix ms of the consumer's last interaction. */
  seenTime: number;
  /** Unix ms of the last successful read; RDB types 15/19 do not store it, Redis then uses seenTime (so do we). */
  activeTime: number;
  /** IDs of the entries pending for this consumer (each is in the group's `pel`). */
  pel: StreamId[];
}

export interface StreamGroup {
  name: Buffer;
  lastId: StreamId;
  /**
   * The group's entries-read counter; -1 means "invalid/unknown" (stored as 2^64-1).
   * Undefined for RDB type 15, which does not store it.
   */
  entriesRead: number | undefined;
  pel: StreamPendingEntry[];
  consumers: StreamConsumer[];
}

/**
 * Stream metadata. `firstId`, `maxDeletedId` and `entriesAdded` are only stored by RDB types
 * 19 and 21 (Redis 7.0+); for type 15 they are undefined and a Redis loader derives them
 * (entriesAdded = length, firstId = first live entry).
 */
export interface StreamMeta {
  length: number;
  lastId: StreamId;
  firstId: StreamId | undefined;
  maxDeletedId: StreamId | undefined;
  entriesAdded: number | undefined;
  groups: StreamGroup[];
  /**
   * Redis 8.6's idempotent producers (RDB type 26, XADD … IDMP): the window, and the ids seen
   * per producer. Only a server of RDB 13+ holds them; rewritten as commands they are not carried.
   */
  idmp?: StreamIdmp;
}

export interface StreamIdmp {
  durationS: number;
  maxSize: number;
  producers: { pid: Buffer; iids: { iid: Buffer; id: StreamId }[] }[];
  iidsAdded: number;
  iidsDuplicates: number;
}

/** A decoded stream: live entries (deleted ones are skipped) plus metadata. */
export interface StreamValue extends StreamMeta {
  entries: StreamEntry[];
}

/** Sorted-set member and score (±Infinity allowed). */
export type ZsetEntry = [member: Buffer, score: number];

/**
 * Hash field and value, plus the field's absolute expiry in Unix ms when it has one
 * (RDB types 22–25 and Valkey HASH_2). Expired fields are still reported (the RDB keeps them).
 */
export type HashEntry = [field: Buffer, value: Buffer] | [field: Buffer, value: Buffer, expireAt: number];

/** A module value (RDB type 7). The value itself is opaque: use the raw bytes. */
export interface ModuleValue {
  /** The 64-bit module type id as stored. */
  moduleId: bigint;
  /** The 9-character module type name decoded from the id (e.g. "MBbloom--"). */
  name: string;
  /** The module's 10-bit encoding version. */
  encVersion: number;
}

/** Decoded value per type name, as carried by a `key` event. */
export interface RdbValueByType {
  string: Buffer;
  list: Buffer[];
  set: Buffer[];
  zset: ZsetEntry[];
  hash: HashEntry[];
  stream: StreamValue;
  module: ModuleValue;
}

/**
 * Items of a `key-batch` event per type name.
 * - string: consecutive pieces of the value; concatenated they are the value (use APPEND/SETRANGE).
 * - list/set/zset/hash: elements in RDB order.
 * - stream: live entries; the metadata and groups come in `key-end`.
 * - module: consecutive pieces of the raw RDB value bytes (the only representation of a module value).
 */
export interface RdbBatchItemsByType {
  string: Buffer[];
  list: Buffer[];
  set: Buffer[];
  zset: ZsetEntry[];
  hash: HashEntry[];
  stream: StreamEntry[];
  module: Buffer[];
}

/** What the parser knows about a key before its value. */
export interface RdbKeyMeta {
  /** Byte offset of the key record (its first opcode or type byte) in the RDB stream. */
  offset: number;
  db: number;
  key: Buffer;
  /** The RDB type byte (0–25). */
  typeId: number;
  /** The on-disk encoding, e.g. 'listpack', 'quicklist2', 'intset' (see `type-table.ts`). */
  encoding: string;
  /** Absolute expiry in Unix ms, undefined when the key does not expire. */
  expireAt: number | undefined;
  /** LRU idle time in seconds (IDLE opcode), when present. */
  idle: number | undefined;
  /** LFU counter (FREQ opcode), when present. */
  freq: number | undefined;
}

type KeyEventMap = {
  [T in RdbTypeName]: RdbKeyMeta & {
    type: 'key';
    typeName: T;
    /** The decoded value. */
    value: RdbValueByType[T];
    /** The value's bytes exactly as in the RDB (after the key); see `buildDumpPayload`. */
    raw: Buffer;
  };
};
/** A whole key (encoded value size ≤ bigKeyThreshold). Narrow on `typeName` to type `value`. */
export type RdbKeyEvent = KeyEventMap[RdbTypeName];

/** Start of a big key; element batches and `key-end` follow. */
export interface RdbKeyStartEvent extends RdbKeyMeta {
  type: 'key-start';
  typeName: RdbTypeName;
  /** For module values: the module type (read from the first bytes of the value). */
  module: ModuleValue | undefined;
}

type KeyBatchMap = {
  [T in RdbTypeName]: {
    type: 'key-batch';
    db: number;
    key: Buffer;
    typeName: T;
    /** At most `batchMaxItems` items and about `batchMaxBytes` bytes. */
    items: RdbBatchItemsByType[T];
  };
};
/** A bounded batch of a big key's elements. Narrow on `typeName` to type `items`. */
export type RdbKeyBatchEvent = KeyBatchMap[RdbTypeName];

/** End of a big key. */
export interface RdbKeyEndEvent {
  type: 'key-end';
  db: number;
  key: Buffer;
  typeName: RdbTypeName;
  /** Number of items delivered in batches (string/module: number of pieces). */
  count: number;
  /** Encoded size of the value in bytes. */
  bytes: number;
  /** For streams: metadata and consumer groups. */
  stream: StreamMeta | undefined;
}

export interface RdbHeaderEvent {
  type: 'header';
  magic: RdbMagic;
  version: number;
}

/** AUX field (e.g. redis-ver, ctime, repl-id, repl-offset, repl-stream-db, lua, slot-info). */
export interface RdbAuxEvent {
  type: 'aux';
  offset: number;
  /** The field name (binary-safe in the file; decoded as latin1 here). */
  key: string;
  value: Buffer;
}

export interface RdbSelectDbEvent {
  type: 'selectdb';
  offset: number;
  db: number;
}

export interface RdbResizeDbEvent {
  type: 'resizedb';
  offset: number;
  dbSize: number;
  expiresSize: number;
}

/** FUNCTION2: a function library; replay with FUNCTION LOAD [REPLACE] source. */
export interface RdbFunctionEvent {
  type: 'function';
  offset: number;
  source: Buffer;
}

/** MODULE_AUX: module data not tied to a key. `raw` holds the tagged values after the header. */
export interface RdbModuleAuxEvent {
  type: 'module-aux';
  offset: number;
  module: ModuleValue;
  /** 1 = written before the keys, 2 = after them. */
  when: number;
  raw: Buffer;
}

/** SLOT_INFO (Redis 7.4+ / Valkey cluster): size hint for one slot. Informational. */
export interface RdbSlotInfoEvent {
  type: 'slot-info';
  offset: number;
  slot: number;
  keys: number;
  expires: number;
}

/** SLOT_IMPORT (Valkey 9 cluster): an in-progress atomic slot import job. Informational. */
export interface RdbSlotImportEvent {
  type: 'slot-import';
  offset: number;
  jobName: Buffer;
  ranges: [start: number, end: number][];
}

export interface RdbEofEvent {
  type: 'eof';
  offset: number;
  /**
   * 'verified': the CRC-64 matched. 'skipped': not checked, see `checksumSkipReason`.
   * (A mismatch is an RdbError CHECKSUM_MISMATCH, never an event.)
   */
  checksum: 'verified' | 'skipped';
  checksumSkipReason: 'version' | 'zero' | 'disabled' | undefined;
  /** The stored checksum (undefined for RDB versions below 5, which have none). */
  storedChecksum: bigint | undefined;
  /** Total RDB size in bytes. */
  bytes: number;
  /** Keys with an empty collection value, which Redis also skips on load and which are not emitted. */
  emptyKeysSkipped: number;
}

/**
 * Consecutive string keys stored plainly (no integer or LZF encoding) and without an expire
 * time, as offsets into the input (only with the `stringRuns` option). Their LRU/LFU hints, if
 * any, are not kept. `buf` and `spans` are valid for as long as the caller holds the event.
 */
export interface RdbStringRunEvent {
  type: 'string-run';
  /** Byte offset of the first key record. */
  offset: number;
  db: number;
  buf: Buffer;
  /** `count` quadruples: key start, key length, value start, value length (into `buf`). */
  spans: Int32Array;
  count: number;
}

export type RdbEvent =
  | RdbHeaderEvent
  | RdbAuxEvent
  | RdbSelectDbEvent
  | RdbResizeDbEvent
  | RdbFunctionEvent
  | RdbModuleAuxEvent
  | RdbSlotInfoEvent
  | RdbSlotImportEvent
  | RdbKeyEvent
  | RdbStringRunEvent
  | RdbKeyStartEvent
  | RdbKeyBatchEvent
  | RdbKeyEndEvent
  | RdbEofEvent;

export interface RdbParserOptions {
  /**
   * Deliver runs of plain strings without expiry as `string-run` events (offsets, no Buffer
   * or event per key) instead of `key` events: the hot path of a snapshot copy. Default false.
   */
  stringRuns?: boolean;
  /**
   * Small values held in one blob (listpack, ziplist, intset) are decoded when the event's
   * `value` is first read rather than while parsing: for consumers that mostly pass `raw` on
   * (RESTORE). A damaged blob is then reported (RdbError) by that read; the header's count and
   * size are still checked while parsing, and an empty value is skipped as usual. Default false.
   */
  lazyValues?: boolean;
  /**
   * Values whose encoded size is at most this many bytes arrive as one `key` event with raw
   * bytes; bigger ones as key-start / key-batch / key-end. Also bounds how much of one key the
   * parser buffers. Default 8 MiB.
   */
  bigKeyThreshold?: number;
  /** Maximum items per `key-batch`. Default 1024. */
  batchMaxItems?: number;
  /** Approximate maximum payload bytes per `key-batch`. Default 1 MiB. */
  batchMaxBytes?: number;
  /**
   * Largest single string accepted (a key, one element, an aux value); a longer declared
   * length is CORRUPT. Top-level string values are exempt (they are streamed). Default 512 MiB.
   */
  maxElementSize?: number;
  /** Verify the CRC-64 trailer (RDB ≥ 5, stored value ≠ 0). Default true. */
  verifyChecksum?: boolean;
}
