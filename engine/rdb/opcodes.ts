/** The RDB opcodes, the bytes between keys that are not value types (REFERENCE §2.2). */
export const RDB_OPCODE = {
  /** Redis 8.6 KEY_META in a REDIS file, SLOT_IMPORT in a VALKEY file. */
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
