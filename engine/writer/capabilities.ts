/**
 * What a destination server can accept, from its INFO: which RDB version its
 * RESTORE takes, which value types it knows, and which command options it has.
 * (REFERENCE §3: Redis ≥4.0 accepts any payload version ≤ its own; ≤3.2 only its own.)
 */
import { rdbType, VALKEY_BASE_REDIS_VERSION } from '../rdb/type-table';
import type { RdbMagic } from '../rdb/types';
import { hasFeature, parseServerVersion, rdbVersionOf, serverFacts, type ServerFacts, type ServerVersion } from '../servers/facts';

export type { ServerVersion } from '../servers/facts';
export { rdbVersionOf } from '../servers/facts';

export interface DestinationCapabilities {
  version: ServerVersion;
  /** Everything else known about this server version (servers/facts.ts): commands, options, formats. */
  facts: ServerFacts;
  /** The RDB version this server writes and the newest its RESTORE accepts. */
  rdbVersion: number;
  /** RESTORE … ABSTTL / IDLETIME / FREQ (5.0+). */
  restoreAbsTtl: boolean;
  /** Hash field expiry commands (HPEXPIREAT; Redis 7.4+, Valkey 9+). */
  hashFieldExpiry: boolean;
  /** XSETID … ENTRIESADDED / MAXDELETEDID and XGROUP CREATE … ENTRIESREAD (7.0+). */
  streamMetadata: boolean;
  /** FUNCTION LOAD (7.0+). */
  functions: boolean;
}

/** The server's own version from INFO server (servers/facts.ts). */
export function parseVersion(info: string): ServerVersion {
  return parseServerVersion(info);
}

export function capabilitiesOf(v: ServerVersion): DestinationCapabilities {
  return {
    version: v,
    facts: serverFacts(v),
    rdbVersion: rdbVersionOf(v),
    restoreAbsTtl: hasFeature(v, 'restoreAbsTtl'),
    hashFieldExpiry: hasFeature(v, 'fieldTtl'),
    streamMetadata: hasFeature(v, 'streamMetadata'),
    functions: hasFeature(v, 'functions'),
  };
}

/**
 * Whether the destination can RESTORE a value of this type as encoded by the source: the
 * type must be one its RDB version has (rdb/type-table.ts), and RESTOREable at all. Type 22
 * means different things in Redis (7.4 hash with metadata, pre-GA) and Valkey (HASH_2) files,
 * so a type of one family only travels to a server of that family.
 */
export function canRestoreType(dest: DestinationCapabilities, typeId: number, sourceMagic: RdbMagic): boolean {
  const type = rdbType(typeId, sourceMagic);
  if (!type || !type.restorable) return false;
  const destFamily: RdbMagic = dest.version.product === 'valkey' && dest.rdbVersion >= 80 ? 'VALKEY' : 'REDIS';
  if (type.family !== 'common') return type.family === destFamily && type.since <= dest.rdbVersion;
  return type.since <= (destFamily === 'VALKEY' ? VALKEY_BASE_REDIS_VERSION : dest.rdbVersion);
}

/**
 * The RDB type a value is RESTOREd as on this destination: its own, or 19 for a type 21
 * stream on Redis 7.0/7.1 (see stream-downgrade.ts); undefined when it must be rewritten
 * as commands.
 */
export function restoreTypeFor(dest: DestinationCapabilities, typeId: number, sourceMagic: RdbMagic): number | undefined {
  if (canRestoreType(dest, typeId, sourceMagic)) return typeId;
  if (typeId === 21 && canRestoreType(dest, 19, sourceMagic)) return 19;
  return undefined;
}
