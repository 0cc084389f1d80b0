/**
 * What the engine knows about each server version, in one place (issue 14): its family
 * (Redis or Valkey), the RDB it writes and the payloads its RESTORE accepts, which
 * commands, options and data types it has. The RDB parser's version check, the writer's
 * capability check (writer/capabilities.ts), the precheck and the stream's translation of
 * commands a destination lacks (commands/translate.ts) all read it, so they cannot disagree.
 *
 * Sources: each server's rdb.h and command docs (REFERENCE §2–§3), checked against the real
 * servers of the compatibility suite (Redis 6.0, 7.0, 8.0, 8.6, Valkey 8.0, 8.1, 9.1 from
 * Debian; engine/compat/).
 */
import type { RdbMagic } from '../rdb/types';

export type ServerFamily = 'redis' | 'valkey';

export interface ServerVersion {
  product: ServerFamily;
  major: number;
  minor: number;
  patch: number;
}

/** `INFO server` text (or its fields) to the server's own version: valkey_version first, then redis_version. */
export function parseServerVersion(info: string | Record<string, string>): ServerVersion {
  const field = (name: string): string | undefined => {
    if (typeof info !== 'string') return info[name];
    return new RegExp(`^${name}:([^\\r\\n]*)`, 'm').exec(info)?.[1];
  };
  const valkey = field('valkey_version');
  const text = valkey ?? field('redis_version');
  const m = text ? /^(\d+)\.(\d+)\.(\d+)/.exec(text) : null;
  if (!m) throw new Error('INFO server has no redis_version line');
  return { product: valkey ? 'valkey' : 'redis', major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) };
}

/** "Redis 8.0.6", "Valkey 9.1.2". */
export function serverLabel(v: ServerVersion): string {
  return `${v.product === 'valkey' ? 'Valkey' : 'Redis'} ${v.major}.${v.minor}.${v.patch}`;
}

function atLeast(v: ServerVersion, major: number, minor = 0): boolean {
  return v.major > major || (v.major === major && v.minor >= minor);
}

/**
 * Valkey's versions map to the Redis one it forked from (7.2) for every feature Redis had
 * by then; what came later is listed per family below.
 */
function redisEquivalent(v: ServerVersion): ServerVersion {
  return v.product === 'valkey' ? { product: 'redis', major: 7, minor: 2, patch: 4 } : v;
}

/**
 * Commands and options that appeared after Redis 6.0, by the first version of each family
 * that has them (undefined: that family has none). Each one is something a newer source's
 * replication stream may carry and an older destination refuses.
 */
export const FEATURES = {
  /** RESTORE … ABSTTL / IDLETIME / FREQ. */
  restoreAbsTtl: { redis: [5, 0], valkey: [7, 2] },
  /** FUNCTION LOAD / FCALL, and functions in the RDB. */
  functions: { redis: [7, 0], valkey: [7, 2] },
  /** XSETID … ENTRIESADDED / MAXDELETEDID, XGROUP CREATE|SETID … ENTRIESREAD. */
  streamMetadata: { redis: [7, 0], valkey: [7, 2] },
  /** PEXPIREAT / EXPIRE … NX | XX | GT | LT. */
  expireFlags: { redis: [7, 0], valkey: [7, 2] },
  /** SET … EXAT | PXAT | GET, GETEX, GETDEL. */
  setAbsoluteExpiry: { redis: [6, 2], valkey: [7, 2] },
  /** LMOVE, BLMOVE. */
  lmove: { redis: [6, 2], valkey: [7, 2] },
  /** LPOP / RPOP with a count. */
  popCount: { redis: [6, 2], valkey: [7, 2] },
  /** COPY. */
  copy: { redis: [6, 2], valkey: [7, 2] },
  /** ZADD … GT | LT. */
  zaddGtLt: { redis: [6, 2], valkey: [7, 2] },
  /** XADD … NOMKSTREAM / MINID / LIMIT, XTRIM … MINID / LIMIT, XAUTOCLAIM. */
  streamTrimMinid: { redis: [6, 2], valkey: [7, 2] },
  /** ZRANGESTORE, ZDIFFSTORE, ZINTERSTORE's 6.2 forms, GEOSEARCHSTORE. */
  storeCommands62: { redis: [6, 2], valkey: [7, 2] },
  /** EXPIRETIME, PEXPIRETIME (the scan reader reads a key's absolute expiry with it; PTTL and TIME before). */
  expireTime: { redis: [7, 0], valkey: [7, 2] },
  /** LMPOP, ZMPOP, BLMPOP, BZMPOP, SINTERCARD. */
  mpop: { redis: [7, 0], valkey: [7, 2] },
  /** Hash fields with their own expiry: HEXPIRE, HPEXPIREAT, HPERSIST, and such hashes in RDB and DUMP. */
  fieldTtl: { redis: [7, 4], valkey: [9, 0] },
  /** HSETEX, HGETEX. */
  hsetex: { redis: [8, 0], valkey: [9, 0] },
  /** HGETDEL. */
  hgetdel: { redis: [8, 0], valkey: [9, 0] },
  /** HSETEX … NX | XX (a condition on the key, not the fields). */
  hsetexKeyCondition: { redis: undefined, valkey: [9, 0] },
  /** SET … IFEQ. */
  setIfeq: { redis: [8, 4], valkey: [8, 1] },
  /** DELIFEQ. */
  delifeq: { redis: undefined, valkey: [9, 0] },
  /** XDELEX, XACKDEL, XADD/XTRIM … KEEPREF | DELREF | ACKED. */
  streamDelRef: { redis: [8, 2], valkey: undefined },
  /** Vector sets (VADD, VREM, VSETATTR …): the module "vectorset", built into Redis 8 and always loaded there. */
  vectorSets: { redis: [8, 0], valkey: undefined },
} as const satisfies Record<string, { redis: readonly [number, number] | undefined; valkey: readonly [number, number] | undefined }>;

export type Feature = keyof typeof FEATURES;

export function hasFeature(v: ServerVersion, feature: Feature): boolean {
  const since = FEATURES[feature][v.product];
  if (since && atLeast(v, since[0], since[1])) return true;
  // Valkey has what Redis 7.2 had.
  if (v.product === 'valkey') {
    const redisSince = FEATURES[feature].redis;
    return redisSince !== undefined && atLeast(redisEquivalent(v), redisSince[0], redisSince[1]);
  }
  return false;
}

/**
 * The RDB version a server writes (its snapshot to a replica and its DUMP payloads). Valkey 9
 * writes VALKEY 80 only to replicas that announce `REPLCONF version` 9.0 or newer (the engine
 * does, replica/link.ts), REDIS 11 to others — and fails the transfer if a key needs 80.
 */
export function rdbVersionOf(v: ServerVersion): number {
  if (v.product === 'valkey') {
    if (atLeast(v, 9, 2)) return 81;
    if (atLeast(v, 9)) return 80;
    return 11;
  }
  if (atLeast(v, 8, 8)) return 14;
  if (atLeast(v, 8, 6)) return 13;
  if (atLeast(v, 7, 4)) return 12;
  if (atLeast(v, 7, 2)) return 11;
  if (atLeast(v, 7)) return 10;
  if (atLeast(v, 5)) return 9;
  if (atLeast(v, 4)) return 8;
  if (atLeast(v, 3, 2)) return 7;
  if (atLeast(v, 2, 6)) return 6;
  return 5;
}

/** The magic of the snapshots a server writes to the engine. */
export function rdbMagicOf(v: ServerVersion): RdbMagic {
  return v.product === 'valkey' && rdbVersionOf(v) >= 80 ? 'VALKEY' : 'REDIS';
}

/**
 * Whether this server's RESTORE takes a DUMP payload of that RDB version (REFERENCE §3):
 * Redis ≥ 4.0 any version ≤ its own, ≤ 3.2 only its own; Valkey 9+ also refuses 12–79
 * (Redis's own formats after the fork), so no Redis 7.4+ payload is accepted there, and no
 * Redis accepts Valkey's 80+.
 */
export function restoreAccepts(v: ServerVersion, payloadVersion: number): boolean {
  const own = rdbVersionOf(v);
  if (v.product === 'valkey') {
    if (payloadVersion >= 12 && payloadVersion <= 79) return false;
    return payloadVersion <= own;
  }
  if (!atLeast(v, 4)) return payloadVersion === own;
  return payloadVersion <= own;
}

/**
 * Whether a destination takes a source's snapshot as it is (RESTORE of the source's own
 * payloads); otherwise values of types the destination lacks are rewritten as commands.
 */
export function readsSnapshotOf(dest: ServerVersion, source: ServerVersion): boolean {
  return restoreAccepts(dest, rdbVersionOf(source));
}

/** The RDB versions the engine's parser reads, per magic (rdb/parser.ts checks the header against this). */
export const PARSER_READS: Readonly<Record<RdbMagic, readonly [number, number]>> = {
  REDIS: [1, 13],
  VALKEY: [80, 81],
};

export function parserReads(magic: RdbMagic, version: number): boolean {
  const [lo, hi] = PARSER_READS[magic];
  return version >= lo && version <= hi;
}

/** The versions the parser reads, worded for messages: "REDIS 1–13 and VALKEY 80–81". */
export function parserReadsText(first: RdbMagic = 'REDIS'): string {
  const order: RdbMagic[] = first === 'REDIS' ? ['REDIS', 'VALKEY'] : ['VALKEY', 'REDIS'];
  return order.map((m) => `${m} ${PARSER_READS[m][0]}–${PARSER_READS[m][1]}`).join(' and ');
}

/** Which servers write an RDB version, for messages: " (written by Redis 8.6)". */
export function rdbVersionNote(magic: RdbMagic, version: number): string {
  const writers: Record<string, string> = {
    'REDIS 13': 'Redis 8.6', 'REDIS 14': 'Redis 8.8', 'VALKEY 80': 'Valkey 9.0–9.1', 'VALKEY 81': 'Valkey 9.2',
  };
  const who = writers[`${magic} ${version}`];
  return who ? ` (written by ${who})` : '';
}

/** Why the engine cannot read this server's snapshot, or undefined when it can. */
export function unreadableSnapshot(v: ServerVersion): string | undefined {
  const magic = rdbMagicOf(v);
  const version = rdbVersionOf(v);
  if (parserReads(magic, version)) return undefined;
  return `${serverLabel(v)} writes RDB version ${version} (${magic}), which this engine cannot parse (it reads ${parserReadsText(magic)})`;
}

/**
 * How a server reports keys whose hash fields carry their own expiry in INFO keyspace:
 * Redis 7.4+ `subexpiry=N`, Valkey 9 `keys_with_volatile_items=N`.
 */
export const FIELD_TTL_KEYSPACE_FIELDS = ['subexpiry', 'keys_with_volatile_items'] as const;

/**
 * `DEBUG DIGEST-VALUE` of a sorted set digests each score as the server prints it, and Redis
 * 7.2 changed how doubles print: a 7.0-or-older server and a 7.2+/Valkey one give different
 * digests for equal sorted sets, so their values must be compared by content.
 */
export function zsetDigestsComparable(a: ServerVersion, b: ServerVersion): boolean {
  const modern = (v: ServerVersion) => atLeast(redisEquivalent(v), 7, 2);
  return modern(a) === modern(b);
}

/**
 * Modules: which module a value type belongs to, so that a key of a module type (RDB MODULE_2,
 * named by its 9-character type name) can be matched with `MODULE LIST` on the destination.
 * A module is named in MODULE LIST by the name it registers, its types by theirs: the two differ
 * (ReJSON / "ReJSON-RL"), so the pairs are listed here; a type not listed is taken as belonging
 * to the module of the same name.
 */
const MODULE_OF_TYPE: Readonly<Record<string, string>> = {
  vectorset: 'vectorset',
  'ReJSON-RL': 'ReJSON',
  'MBbloom--': 'bf', MBbloomCF: 'bf', 'CMSk-TYPE': 'bf', 'TopK-TYPE': 'bf', 'TDIS-TYPE': 'bf',
  'TSDB-TYPE': 'timeseries',
};

/** The module (as MODULE LIST names it) that provides values of this module type. */
export function moduleOfType(typeName: string): string {
  return MODULE_OF_TYPE[typeName] ?? typeName;
}

/** The module types a module provides, for looking keys up by type (SCAN … TYPE); empty when not known. */
export function typesOfModule(module: string): string[] {
  return Object.entries(MODULE_OF_TYPE).filter(([, m]) => m.toLowerCase() === module.toLowerCase()).map(([t]) => t);
}

/** The module names of a MODULE LIST reply (RESP2: one flat name/value array per module); undefined for an error or another shape. */
export function moduleNamesOf(reply: unknown): string[] | undefined {
  if (!Array.isArray(reply)) return undefined;
  const names: string[] = [];
  for (const row of reply) {
    if (!Array.isArray(row)) return undefined;
    const i = row.findIndex((x) => String(x).toLowerCase() === 'name');
    if (i < 0 || i + 1 >= row.length) return undefined;
    names.push(String(row[i + 1]));
  }
  return names;
}

/** Modules a server has built in, loaded whether or not MODULE LIST can be asked (Redis 8: vectorset). */
export function builtinModules(v: ServerVersion): string[] {
  return hasFeature(v, 'vectorSets') ? ['vectorset'] : [];
}

/** Everything above for one server, as the writer and the precheck hold it. */
export interface ServerFacts {
  version: ServerVersion;
  label: string;
  rdbVersion: number;
  rdbMagic: RdbMagic;
  has: (feature: Feature) => boolean;
}

export function serverFacts(v: ServerVersion): ServerFacts {
  return {
    version: v,
    label: serverLabel(v),
    rdbVersion: rdbVersionOf(v),
    rdbMagic: rdbMagicOf(v),
    has: (feature) => hasFeature(v, feature),
  };
}
