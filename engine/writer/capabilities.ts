/**
 * What a destination server can accept, from its INFO: which RDB version its
 * RESTORE takes, which value types it knows, and which command options it has.
 * (REFERENCE §3: Redis ≥4.0 accepts any payload version ≤ its own; ≤3.2 only its own.)
 */

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

/** Highest value type id a server of this RDB version can load. */
function maxTypeId(rdbVersion: number): number {
  if (rdbVersion >= 12) return 25;
  if (rdbVersion >= 11) return 21;
  if (rdbVersion >= 10) return 19;
  if (rdbVersion >= 9) return 15;
  if (rdbVersion >= 7) return 14;
  return 13;
}

/**
 * Whether the destination can RESTORE a value of this type as encoded by the
 * source. Type 22 means different things in Redis (7.4 hash with metadata,
 * pre-GA) and Valkey (HASH_2) files, so it only travels between like servers.
 */
export function canRestoreType(dest: DestinationCapabilities, typeId: number, sourceMagic: 'REDIS' | 'VALKEY'): boolean {
  if (typeId === 6) return false; // pre-GA module type: nobody can load it
  // Zipmap (Redis ≤ 2.4 hashes): modern servers convert it on load anyway, and their integrity
  // check is stricter than the old writers (a header count of 255, which 2.x read as "count the
  // entries", is refused as "Bad data format"), so it is always rewritten as HSET.
  if (typeId === 9) return false;
  const destValkey = dest.version.product === 'valkey';
  if (typeId >= 22 && typeId <= 25) {
    if (sourceMagic === 'VALKEY' || destValkey) return typeId === 22 && sourceMagic === 'VALKEY' && destValkey && dest.rdbVersion >= 80;
    return dest.rdbVersion >= 12;
  }
  return typeId <= maxTypeId(destValkey && dest.rdbVersion >= 80 ? 11 : dest.rdbVersion);
}


/**
 * The RDB type a value is RESTOREd as on this destination: its own, or 19 for a type 21
 * stream on Redis 7.0/7.1 (see stream-downgrade.ts); undefined when it must be rewritten
 * as commands.
 */
export function restoreTypeFor(dest: DestinationCapabilities, typeId: number, sourceMagic: 'REDIS' | 'VALKEY'): number | undefined {
  if (canRestoreType(dest, typeId, sourceMagic)) return typeId;
  if (typeId === 21 && canRestoreType(dest, 19, sourceMagic)) return 19;
  return undefined;
}
