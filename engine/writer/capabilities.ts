/**
 * What a destination server can accept, from its INFO: which RDB version its
 * RESTORE takes, which value types it knows, and which command options it has.
 * (REFERENCE §3: Redis ≥4.0 accepts any payload version ≤ its own; ≤3.2 only its own.)
 */
import { rdbType, VALKEY_BASE_REDIS_VERSION } from '../rdb/type-table';
import type { RdbMagic } from '../rdb/types';
import {
  builtinModules, hasFeature, moduleOfType, parseServerVersion, rdbVersionOf, serverFacts, type ServerFacts, type ServerVersion,
} from '../servers/facts';

export type { ServerVersion } from '../servers/facts';
export { moduleNamesOf } from '../servers/facts';
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
  /**
   * The modules it loads, by the names MODULE LIST gives (with those built into its version), or
   * undefined when MODULE LIST was refused: then only the built-in ones are known.
   */
  modules: readonly string[] | undefined;
}

/** The server's own version from INFO server (servers/facts.ts). */
export function parseVersion(info: string): ServerVersion {
  return parseServerVersion(info);
}

/** `modules`: the names of MODULE LIST's reply (moduleNamesOf), or undefined when it could not be asked. */
export function capabilitiesOf(v: ServerVersion, modules?: readonly string[]): DestinationCapabilities {
  return {
    modules: modules && [...new Set([...builtinModules(v), ...modules])],
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

/**
 * Whether the destination loads the module that provides values of this module type (the
 * 9-character name of an RDB MODULE_2 value, e.g. "vectorset"): true or false when it is known,
 * undefined when MODULE LIST was refused and the module is not one built into its version —
 * then RESTORE tells, and its refusal names the key and the module (errors.ts).
 */
export function loadsModuleType(dest: DestinationCapabilities, typeName: string): boolean | undefined {
  const module = moduleOfType(typeName).toLowerCase();
  const has = (names: readonly string[]) => names.some((n) => n.toLowerCase() === module);
  if (has(builtinModules(dest.version))) return true;
  return dest.modules ? has(dest.modules) : undefined;
}
