/**
 * Streaming RDB parser: public API. See types.ts for the events and parser.ts for the driver.
 */
export { RdbParser, parseRdb, parseRdbFile, parseRdbBuffer, DEFAULT_BIG_KEY_THRESHOLD, DEFAULT_BATCH_MAX_ITEMS, DEFAULT_BATCH_MAX_BYTES, DEFAULT_MAX_ELEMENT_SIZE } from './parser';
export { RdbError, type RdbErrorCode } from './errors';
export { crc64, Crc64 } from './crc64';
export { buildDumpPayload, parseDumpPayload } from './dump';
export { lzfDecompress, LzfStream, LzfError } from './lzf';
export { rdbType, rdbTypes, type RdbTypeSpec } from './type-table';
export { RDB_OPCODE } from './opcodes';
export { moduleInfo } from './values/module';
export { formatStreamId } from './stream';
export { decodeListpack } from './listpack';
export { decodeZiplist } from './ziplist';
export { decodeIntset } from './intset';
export { decodeZipmap } from './zipmap';
export type * from './types';
