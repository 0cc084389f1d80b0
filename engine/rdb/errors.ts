import { DtsError } from '../errors';

/**
 * Stable codes of RDB parse failures.
 *
 * - `BAD_MAGIC`: the input does not start with `REDIS` + 4 digits or `VALKEY` + 3 digits.
 * - `UNSUPPORTED_VERSION`: a format version this parser does not know (REDIS 1–13 and
 *   VALKEY 80/81 are supported).
 * - `UNSUPPORTED_FORMAT`: a known but unsupported construct (pre-GA functions, Redis 8.6 key
 *   metadata, Valkey 9.2 path hashes).
 * - `CHECKSUM_MISMATCH`: the CRC-64 trailer does not match the bytes read.
 * - `TRUNCATED`: the input ended before the end of the RDB.
 * - `UNKNOWN_TYPE`: a type/opcode byte that no Redis or Valkey version writes.
 * - `UNKNOWN_MODULE`: a module value this parser cannot walk (pre-GA module type 6).
 * - `CORRUPT`: an encoding is invalid (bad length prefix, ziplist/listpack/intset damage, LZF
 *   data that does not decompress to its declared size, a length over a sane limit ...).
 * - `RECORD_TOO_LARGE`: a record between keys (MODULE_AUX, SLOT_IMPORT) over its limit (parser.ts):
 *   no server writes one that large, so the source is damaged or hostile.
 * - `INTERNAL`: a bug in the parser (an unexpected exception it wrapped); never expected.
 */
export type RdbErrorCode =
  | 'BAD_MAGIC'
  | 'UNSUPPORTED_VERSION'
  | 'UNSUPPORTED_FORMAT'
  | 'CHECKSUM_MISMATCH'
  | 'TRUNCATED'
  | 'UNKNOWN_TYPE'
  | 'UNKNOWN_MODULE'
  | 'CORRUPT'
  | 'RECORD_TOO_LARGE'
  | 'INTERNAL';

const DEFAULT_HINTS: Record<RdbErrorCode, string> = {
  BAD_MAGIC: 'the input is not an RDB snapshot; check the file path or the replication framing',
  UNSUPPORTED_VERSION: 'take the snapshot from a server whose RDB version this engine supports (scan mode reads the same format, in DUMP payloads)',
  UNSUPPORTED_FORMAT: 'this construct cannot be migrated by this engine (scan mode reads the same format, in DUMP payloads); leave the keys holding it out with a key filter',
  CHECKSUM_MISMATCH: 'the file is corrupt or was cut short; take a fresh snapshot',
  TRUNCATED: 'the file or the transfer was cut short; take a fresh snapshot',
  UNKNOWN_TYPE: 'the source writes a data type this engine does not know; check the source version',
  UNKNOWN_MODULE: 'values of this module type cannot be read from an RDB; migrate them with the module loaded on both sides',
  CORRUPT: 'the snapshot is damaged; take a fresh snapshot (redis-check-rdb can confirm)',
  RECORD_TOO_LARGE: 'no Redis or Valkey writes a record this large: the snapshot is damaged or the source is not a genuine server; take a fresh snapshot from a server you trust',
  INTERNAL: 'this is a bug in the RDB parser; please report it with the RDB file if possible',
};

/** A failure while parsing an RDB stream, with the byte offset where it was detected. */
export class RdbError extends DtsError {
  constructor(
    override readonly code: RdbErrorCode,
    /** The message without the offset suffix. */
    readonly detail: string,
    /** Absolute byte offset in the RDB stream where the problem was detected (-1 if unknown). */
    readonly offset: number,
    hint?: string,
    options?: { cause?: unknown },
  ) {
    super(code, offset >= 0 ? `${detail} (at byte offset ${offset})` : detail, hint ?? DEFAULT_HINTS[code], options);
  }

  /** The same error with context (e.g. the key being read) appended to the message. */
  withContext(context: string): RdbError {
    return new RdbError(this.code, `${this.detail} ${context}`, this.offset, this.hint, { cause: this.cause });
  }
}

/** Format a bigint or number as 0x-prefixed 16-digit hex (for checksums). */
export function hex64(v: bigint): string {
  return '0x' + v.toString(16).padStart(16, '0');
}
