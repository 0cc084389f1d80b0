/**
 * Argument pieces the engine's CLIs share (sync, verify): usage errors, lists,
 * DB numbers and mappings, and endpoints with the --tls-* files applied.
 */
import { parseRedisUrl, readTlsFiles, type RedisEndpoint, type TlsSettings } from '../endpoint';

/** Bad arguments: the CLI prints the message and the usage, and exits 2. */
export class UsageError extends Error {}

/** `a,b, c` → ['a', 'b', 'c']. */
export function list(value: string | undefined): string[] {
  return value ? value.split(',').map((s) => s.trim()).filter(Boolean) : [];
}

export function dbNumber(text: string, flag: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isInteger(n) || n > 255) throw new UsageError(`${flag}: "${text}" is not a DB number (0-255)`);
  return n;
}

/** `--db-map 0:1,5:5` → Map { 0 → 1, 5 → 5 }. */
export function dbMapping(value: string | undefined): Map<number, number> {
  const map = new Map<number, number>();
  for (const pair of list(value)) {
    const [from, to, extra] = pair.split(':');
    if (to === undefined || extra !== undefined) throw new UsageError(`--db-map: "${pair}" is not FROM:TO`);
    map.set(dbNumber(from, '--db-map'), dbNumber(to, '--db-map'));
  }
  return map;
}

export interface TlsFlags {
  'tls-ca'?: string;
  'tls-cert'?: string;
  'tls-key'?: string;
  'tls-insecure'?: boolean;
}

/** Parses `redis://` / `rediss://` URLs; a `rediss://` side gets the --tls-* settings. */
export function endpointParser(flags: TlsFlags): (url: string) => RedisEndpoint {
  const files = { ca: flags['tls-ca'], cert: flags['tls-cert'], key: flags['tls-key'], insecure: flags['tls-insecure'] };
  const tls: TlsSettings | undefined = files.ca || files.cert || files.key || files.insecure ? readTlsFiles(files) : undefined;
  return (url) => {
    const e = parseRedisUrl(url);
    if (e.tls && tls) e.tls = { ...tls };
    return e;
  };
}
