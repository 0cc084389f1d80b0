/**
 * The RDB value types (REFERENCE §2.4), one row each: id → name, Redis type and encoding, the
 * first RDB version that writes it, and its decoder. The parser dispatches on this table, its
 * synchronous path reads the rows' blob layouts, and the writer asks it which destinations can
 * RESTORE a type (writer/capabilities.ts).
 *
 * Type 22 depends on the magic (HASH_METADATA_PRE_GA in a REDIS file, HASH_2 in a VALKEY file),
 * so each magic has its own table, made of the common rows and its own.
 */
import type { RdbMagic, RdbTypeName } from './types';
import { blobDecoder, type BlobLayout } from './values/blob-value';
import type { KeyState, Machine, Core, ValueDecoder } from './values/decoder';
import {
  hashListpackEx, hashListpackExPreGa, hashMetadata, hashMetadataPreGa, hashtableHash, HASH_LISTPACK, HASH_ZIPLIST, HASH_ZIPMAP, valkeyHash2,
} from './values/hash';
import { linkedList, LIST_ZIPLIST, quicklist, quicklist2 } from './values/list';
import { modulePreGa, moduleValue } from './values/module';
import { hashtableSet, SET_INTSET, SET_LISTPACK } from './values/set';
import { streamListpacks, streamListpacks2, streamListpacks3, streamListpacks4 } from './values/stream';
import { stringValue } from './values/string';
import { skiplistZset, skiplistZset2, ZSET_LISTPACK, ZSET_ZIPLIST } from './values/zset';

export interface RdbTypeSpec {
  readonly id: number;
  /** Its name in rdb.h, without `RDB_TYPE_`. */
  readonly name: string;
  readonly typeName: RdbTypeName;
  /** The on-disk encoding, as the parser's events name it. */
  readonly encoding: string;
  /** The first RDB version that has it: REDIS 1–13, or VALKEY 80+ for Valkey's own types. */
  readonly since: number;
  /** Defined in both kinds of file, or only in REDIS or only in VALKEY files. */
  readonly family: 'common' | RdbMagic;
  readonly decode: ValueDecoder;
  /** A value that is exactly one blob: the parser decodes it synchronously when it is fully buffered. */
  readonly blob: BlobLayout | undefined;
  /** Whether the parser's synchronous path takes it (strings and one-blob values). */
  readonly fast: boolean;
  /** False where the value must be rewritten as commands on every destination (the row says why). */
  readonly restorable: boolean;
  /** A hash whose fields may carry their own expiry. */
  readonly fieldExpiry: boolean;
  /** Known but not read: the reason, for the error. */
  readonly unsupported: string | undefined;
}

/** Valkey's own versions (VALKEY 80+) hold every type of REDIS version 11 (Valkey 7.2–8.1) plus their own. */
export const VALKEY_BASE_REDIS_VERSION = 11;

interface RowOptions {
  family?: RdbTypeSpec['family'];
  decode?: ValueDecoder;
  blob?: BlobLayout;
  restorable?: boolean;
  fieldExpiry?: boolean;
  unsupported?: string;
}

/** Every row is built here, so all have one shape (the parser reads them per key). */
function row(id: number, name: string, typeName: RdbTypeName, encoding: string, since: number, o: RowOptions): RdbTypeSpec {
  const decode = o.decode ?? (o.blob ? blobDecoder(o.blob) : unreadable);
  return {
    id, name, typeName, encoding, since,
    family: o.family ?? 'common',
    decode,
    blob: o.blob,
    fast: id === 0 || o.blob !== undefined,
    restorable: o.unsupported === undefined && (o.restorable ?? true),
    fieldExpiry: o.fieldExpiry ?? false,
    unsupported: o.unsupported,
  };
}

// The parser refuses an `unsupported` row before reading its key, so this never runs.
function* unreadable(_p: Core, k: KeyState): Machine {
  throw new Error(`RDB type ${k.typeId} has no decoder`);
}

const ROWS: readonly RdbTypeSpec[] = [
  row(0, 'STRING', 'string', 'string', 1, { decode: stringValue }),
  row(1, 'LIST', 'list', 'linkedlist', 1, { decode: linkedList }),
  row(2, 'SET', 'set', 'hashtable', 1, { decode: hashtableSet }),
  row(3, 'ZSET', 'zset', 'skiplist', 1, { decode: skiplistZset }),
  row(4, 'HASH', 'hash', 'hashtable', 1, { decode: hashtableHash }),
  row(5, 'ZSET_2', 'zset', 'skiplist', 8, { decode: skiplistZset2 }),
  // Redis 4.0 release candidates: nobody can load it, nor parse it without the module.
  row(6, 'MODULE_PRE_GA', 'module', 'module-pre-ga', 8, { decode: modulePreGa, restorable: false }),
  row(7, 'MODULE_2', 'module', 'module', 8, { decode: moduleValue }),
  // Redis ≤ 2.4 hashes. Modern servers convert a zipmap on load anyway, and their integrity check is
  // stricter than the old writers (a header count of 255, which 2.x read as "count the entries", is
  // refused as "Bad data format"), so it is always rewritten as HSET.
  row(9, 'HASH_ZIPMAP', 'hash', 'zipmap', 2, { blob: HASH_ZIPMAP, restorable: false }),
  row(10, 'LIST_ZIPLIST', 'list', 'ziplist', 2, { blob: LIST_ZIPLIST }),
  row(11, 'SET_INTSET', 'set', 'intset', 2, { blob: SET_INTSET }),
  row(12, 'ZSET_ZIPLIST', 'zset', 'ziplist', 2, { blob: ZSET_ZIPLIST }),
  row(13, 'HASH_ZIPLIST', 'hash', 'ziplist', 4, { blob: HASH_ZIPLIST }),
  row(14, 'LIST_QUICKLIST', 'list', 'quicklist', 7, { decode: quicklist }),
  row(15, 'STREAM_LISTPACKS', 'stream', 'stream-listpacks', 9, { decode: streamListpacks }),
  row(16, 'HASH_LISTPACK', 'hash', 'listpack', 10, { blob: HASH_LISTPACK }),
  row(17, 'ZSET_LISTPACK', 'zset', 'listpack', 10, { blob: ZSET_LISTPACK }),
  row(18, 'LIST_QUICKLIST_2', 'list', 'quicklist2', 10, { decode: quicklist2 }),
  row(19, 'STREAM_LISTPACKS_2', 'stream', 'stream-listpacks-2', 10, { decode: streamListpacks2 }),
  row(20, 'SET_LISTPACK', 'set', 'listpack', 11, { blob: SET_LISTPACK }),
  row(21, 'STREAM_LISTPACKS_3', 'stream', 'stream-listpacks-3', 11, { decode: streamListpacks3 }),
  row(22, 'HASH_METADATA_PRE_GA', 'hash', 'hash-metadata-pre-ga', 12, { family: 'REDIS', decode: hashMetadataPreGa, fieldExpiry: true }),
  row(23, 'HASH_LISTPACK_EX_PRE_GA', 'hash', 'listpack-ex-pre-ga', 12, { family: 'REDIS', decode: hashListpackExPreGa, fieldExpiry: true }),
  row(24, 'HASH_METADATA', 'hash', 'hash-metadata', 12, { family: 'REDIS', decode: hashMetadata, fieldExpiry: true }),
  row(25, 'HASH_LISTPACK_EX', 'hash', 'listpack-ex', 12, { family: 'REDIS', decode: hashListpackEx, fieldExpiry: true }),
  // Redis 8.6 (RDB 13): type 21 plus XADD … IDMP's producer state; Redis 8.8's 27 (NACKs) and 28 (ARRAY) are RDB 14.
  row(26, 'STREAM_LISTPACKS_4', 'stream', 'stream-listpacks-4', 13, { family: 'REDIS', decode: streamListpacks4 }),
  row(22, 'HASH_2', 'hash', 'hash2', 80, { family: 'VALKEY', decode: valkeyHash2, fieldExpiry: true }),
  row(23, 'PATH_HASH', 'hash', 'path-hash', 81, { family: 'VALKEY', unsupported: 'Valkey path hash (RDB type 23, VALKEY081) is not supported' }),
];

function tableOf(magic: RdbMagic): readonly (RdbTypeSpec | undefined)[] {
  const table = new Array<RdbTypeSpec | undefined>(256).fill(undefined);
  for (const t of ROWS) if (t.family === 'common' || t.family === magic) table[t.id] = t;
  return table;
}

const REDIS_TYPES = tableOf('REDIS');
const VALKEY_TYPES = tableOf('VALKEY');

/** The types of a file of this magic, indexed by type id (undefined: not a value type). */
export function rdbTypes(magic: RdbMagic): readonly (RdbTypeSpec | undefined)[] {
  return magic === 'VALKEY' ? VALKEY_TYPES : REDIS_TYPES;
}

/** The type with this id in a file of this magic, or undefined when the id is not a value type. */
export function rdbType(typeId: number, magic: RdbMagic = 'REDIS'): RdbTypeSpec | undefined {
  return rdbTypes(magic)[typeId];
}
