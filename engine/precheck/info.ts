/** Reading what a node says about itself: INFO fields, keyspace, version, mode. */
import type Redis from 'ioredis';
import { parseServerVersion, rdbVersionOf as factsRdbVersionOf, type ServerVersion } from '../servers/facts';

export type InfoFields = Record<string, string>;

/** `INFO` text to a flat field map (sections merged; `# Section` lines dropped). */
export function parseInfo(text: string): InfoFields {
  const out: InfoFields = {};
  for (const line of text.split(/\r?\n/)) {
    if (!line || line.startsWith('#')) continue;
    const colon = line.indexOf(':');
    if (colon > 0) out[line.slice(0, colon)] = line.slice(colon + 1);
  }
  return out;
}

export interface DbKeyCount {
  db: number;
  keys: number;
  expires: number;
}

/** The `db<N>:keys=..,expires=..` lines of INFO keyspace. */
export function parseKeyspace(fields: InfoFields): DbKeyCount[] {
  const out: DbKeyCount[] = [];
  for (const [name, value] of Object.entries(fields)) {
    const m = /^db(\d+)$/.exec(name);
    if (!m) continue;
    const kv = Object.fromEntries(value.split(',').map((p) => p.split('=') as [string, string]));
    out.push({ db: Number(m[1]), keys: Number(kv.keys ?? 0), expires: Number(kv.expires ?? 0) });
  }
  return out.sort((a, b) => a.db - b.db);
}

export type ServerFlavor = 'Redis' | 'Valkey' | 'Tair' | 'KeyDB';

export interface ServerInfo {
  /** The Redis-compatible version (`redis_version`). */
  version: string;
  flavor: ServerFlavor;
  /** The product's own version when it differs (valkey_version, ...). */
  flavorVersion?: string;
  mode: 'standalone' | 'cluster';
  role: string;
  usedMemory: number;
  maxmemory: number;
  maxmemoryPolicy: string;
  totalSystemMemory: number;
  replOffset: number;
  keyspace: DbKeyCount[];
  fields: InfoFields;
}

function num(v: string | undefined): number {
  const n = Number(v);
  return Number.isFinite(n) ? n : 0;
}

export function serverInfoFromFields(f: InfoFields): ServerInfo {
  let flavor: ServerFlavor = 'Redis';
  let flavorVersion: string | undefined;
  if (f.valkey_version) { flavor = 'Valkey'; flavorVersion = f.valkey_version; }
  else if (f.server_name === 'valkey') flavor = 'Valkey';
  else if (f.tair_version || f.server_name?.toLowerCase().includes('tair')) { flavor = 'Tair'; flavorVersion = f.tair_version; }
  else if (f.server_name?.toLowerCase() === 'keydb') flavor = 'KeyDB';
  return {
    version: f.redis_version ?? 'unknown',
    flavor,
    flavorVersion,
    mode: f.cluster_enabled === '1' || f.redis_mode === 'cluster' ? 'cluster' : 'standalone',
    role: f.role ?? 'master',
    usedMemory: num(f.used_memory),
    maxmemory: num(f.maxmemory),
    maxmemoryPolicy: f.maxmemory_policy ?? 'unknown',
    totalSystemMemory: num(f.total_system_memory),
    replOffset: num(f.master_repl_offset),
    keyspace: parseKeyspace(f),
    fields: f,
  };
}

/** INFO (every default section) from one node. */
export async function readServerInfo(client: Redis): Promise<ServerInfo> {
  const text = String(await client.call('INFO'));
  return serverInfoFromFields(parseInfo(text));
}

/** [major, minor, patch]; unparseable parts are 0. */
export function parseVersion(v: string): [number, number, number] {
  const m = /^(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(v.trim());
  return m ? [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)] : [0, 0, 0];
}

export function compareVersions(a: string, b: string): number {
  const x = parseVersion(a);
  const y = parseVersion(b);
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return 0;
}

export function atLeast(version: string, min: string): boolean {
  return compareVersions(version, min) >= 0;
}

/**
 * The server's own version (Valkey's, not the Redis one it claims compatibility with), read by
 * servers/facts.ts: every version fact the precheck states comes from there.
 */
export function serverVersionOf(info: ServerInfo): ServerVersion {
  return parseServerVersion(info.fields.redis_version || info.fields.valkey_version ? info.fields : { redis_version: info.version });
}

/** The RDB format version a server writes (what RESTORE on the destination must accept); servers/facts.ts. */
export function rdbVersionOf(info: ServerInfo | string): number {
  if (typeof info === 'string') {
    const [major, minor, patch] = parseVersion(info);
    return factsRdbVersionOf({ product: 'redis', major, minor, patch });
  }
  return factsRdbVersionOf(serverVersionOf(info));
}

export function formatBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return `${v >= 10 || i === 0 ? Math.round(v) : v.toFixed(1)} ${units[i]}`;
}
