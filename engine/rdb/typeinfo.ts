/**
 * RDB value type ids (REFERENCE §2.4) and their Redis type names and encodings.
 * Type 22 depends on the magic: HASH_METADATA_PRE_GA in a REDIS file, HASH_2 in a VALKEY file.
 */
import type { RdbMagic, RdbTypeName } from './types';

export const RDB_TYPE = {
  STRING: 0,
  LIST: 1,
  SET: 2,
  ZSET: 3,
  HASH: 4,
  ZSET_2: 5,
  MODULE_PRE_GA: 6,
  MODULE_2: 7,
  HASH_ZIPMAP: 9,
  LIST_ZIPLIST: 10,
  SET_INTSET: 11,
  ZSET_ZIPLIST: 12,
  HASH_ZIPLIST: 13,
  LIST_QUICKLIST: 14,
  STREAM_LISTPACKS: 15,
  HASH_LISTPACK: 16,
  ZSET_LISTPACK: 17,
  LIST_QUICKLIST_2: 18,
  STREAM_LISTPACKS_2: 19,
  SET_LISTPACK: 20,
  STREAM_LISTPACKS_3: 21,
  HASH_METADATA_PRE_GA: 22,
  HASH_2: 22,
  HASH_LISTPACK_EX_PRE_GA: 23,
  HASH_METADATA: 24,
  HASH_LISTPACK_EX: 25,
} as const;

export const RDB_OPCODE = {
  KEY_META_OR_SLOT_IMPORT: 0xf3,
  SLOT_INFO: 0xf4,
  FUNCTION2: 0xf5,
  FUNCTION_PRE_GA: 0xf6,
  MODULE_AUX: 0xf7,
  IDLE: 0xf8,
  FREQ: 0xf9,
  AUX: 0xfa,
  RESIZEDB: 0xfb,
  EXPIRETIME_MS: 0xfc,
  EXPIRETIME: 0xfd,
  SELECTDB: 0xfe,
  EOF: 0xff,
} as const;

export interface RdbTypeInfo {
  typeName: RdbTypeName;
  encoding: string;
}

const COMMON: Record<number, RdbTypeInfo> = {
  0: { typeName: 'string', encoding: 'string' },
  1: { typeName: 'list', encoding: 'linkedlist' },
  2: { typeName: 'set', encoding: 'hashtable' },
  3: { typeName: 'zset', encoding: 'skiplist' },
  4: { typeName: 'hash', encoding: 'hashtable' },
  5: { typeName: 'zset', encoding: 'skiplist' },
  6: { typeName: 'module', encoding: 'module-pre-ga' },
  7: { typeName: 'module', encoding: 'module' },
  9: { typeName: 'hash', encoding: 'zipmap' },
  10: { typeName: 'list', encoding: 'ziplist' },
  11: { typeName: 'set', encoding: 'intset' },
  12: { typeName: 'zset', encoding: 'ziplist' },
  13: { typeName: 'hash', encoding: 'ziplist' },
  14: { typeName: 'list', encoding: 'quicklist' },
  15: { typeName: 'stream', encoding: 'stream-listpacks' },
  16: { typeName: 'hash', encoding: 'listpack' },
  17: { typeName: 'zset', encoding: 'listpack' },
  18: { typeName: 'list', encoding: 'quicklist2' },
  19: { typeName: 'stream', encoding: 'stream-listpacks-2' },
  20: { typeName: 'set', encoding: 'listpack' },
  21: { typeName: 'stream', encoding: 'stream-listpacks-3' },
};

const REDIS_ONLY: Record<number, RdbTypeInfo> = {
  22: { typeName: 'hash', encoding: 'hash-metadata-pre-ga' },
  23: { typeName: 'hash', encoding: 'listpack-ex-pre-ga' },
  24: { typeName: 'hash', encoding: 'hash-metadata' },
  25: { typeName: 'hash', encoding: 'listpack-ex' },
};

const VALKEY_ONLY: Record<number, RdbTypeInfo> = {
  22: { typeName: 'hash', encoding: 'hash2' },
};

/** Type name and encoding of an RDB type id, or undefined when the id is not a value type. */
export function rdbTypeInfo(typeId: number, magic: RdbMagic = 'REDIS'): RdbTypeInfo | undefined {
  return COMMON[typeId] ?? (magic === 'VALKEY' ? VALKEY_ONLY[typeId] : REDIS_ONLY[typeId]);
}
