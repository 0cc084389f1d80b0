/**
 * What a destination server can accept, from its INFO: which RDB version its
 * RESTORE takes, which value types it knows, and which command options it has.
 * (REFERENCE §3: Redis ≥4.0 accepts any payload version ≤ its own; ≤3.2 only its own.)
 */
import { rdbType, VALKEY_BASE_REDIS_VERSION } from '../rdb/type-table';
import type { RdbMagic } from '../rdb/types';

export interface ServerVersion {
  product: 'redis' | 'valkey';
  major: number;
  minor: number;
  patch: number;
}

export interface DestinationCapabilities {
  version: ServerVersion;
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

export function parseVersion(info: string): ServerVersion {
  const valkey = /^valkey_version:(\d+)\.(\d+)\.(\d+)/m.exec(info);
  const redis = /^redis_version:(\d+)\.(\d+)\.(\d+)/m.exec(info);
  const m = valkey ?? redis;
  if (!m) throw new Error('INFO server has no redis_version line');
  return { product: valkey ? 'valkey' : 'redis', major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) };
}

function atLeast(v: ServerVersion, major: number, minor = 0): boolean {
  return v.major > major || (v.major === major && v.minor >= minor);
}

/** RDB version written by a server version (REFERENCE §2.1). */
export function rdbVersionOf(v: ServerVersion): number {
  if (v.product === 'valkey') {
    if (atLeast(v, 9, 2)) return 81;
    if (atLeast(v, 9)) return 80;
    return 11;
  }
  if (atLeast(v, 8, 6)) return 13;
  if (atLeast(v, 7, 4)) return 12;
  if (atLeast(v, 7, 2)) return 11;
  if (atLeast(v, 7)) return 10;
  if (atLeast(v, 5)) return 9;
  if (atLeast(v, 4)) return 8;
  if (atLeast(v, 3, 2)) return 7;
  if (atLeast(v, 2, 6)) return 6;
  return 2;
}

export function capabilitiesOf(v: ServerVersion): DestinationCapabilities {
  return {
    version: v,
    rdbVersion: rdbVersionOf(v),
    restoreAbsTtl: atLeast(v, 5),
    hashFieldExpiry: v.product === 'valkey' ? atLeast(v, 9) : atLeast(v, 7, 4),
    streamMetadata: atLeast(v, 7),
    functions: atLeast(v, 7),
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
