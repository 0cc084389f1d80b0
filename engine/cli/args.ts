/**
 * Argument pieces the engine's CLIs share (sync, verify): usage errors, lists,
 * DB numbers and mappings, and endpoints with the --tls-* files and the passwords
 * given apart from the URL (--source-password-file, DTS_SOURCE_PASSWORD, …) applied.
 */
import fs from 'node:fs';
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

export type Side = 'source' | 'target';

/**
 * A side's password kept out of its URL, so out of `ps` and the shell's history: a file
 * (`--source-password-file`), else the environment (`DTS_SOURCE_PASSWORD`), when the URL has none.
 */
export const PASSWORD_OPTIONS = {
  'source-password-file': { type: 'string' },
  'target-password-file': { type: 'string' },
} as const;

export const PASSWORD_ENV: Record<Side, string> = { source: 'DTS_SOURCE_PASSWORD', target: 'DTS_TARGET_PASSWORD' };

export interface PasswordFlags {
  'source-password-file'?: string;
  'target-password-file'?: string;
}

export const PASSWORD_USAGE = `  --source-password-file FILE, --target-password-file FILE
                             that side's password, read from FILE (one trailing newline dropped), kept out of
                             the URL, \`ps\` and the shell's history; DTS_SOURCE_PASSWORD / DTS_TARGET_PASSWORD
                             in the environment are used when neither the URL nor a file gives one
`;

/** Reads a password file: its text without one trailing newline. */
export function readPasswordFile(file: string, flag: string): string {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`${flag}: cannot read ${file}: ${(err as Error).message}`);
  }
  const password = text.replace(/\r?\n$/, '');
  if (!password) throw new UsageError(`${flag}: ${file} is empty`);
  return password;
}

/**
 * Parses `redis://` / `rediss://` URLs; a `rediss://` side gets the --tls-* settings, and each side
 * the password given apart from its URL (a password in the URL and a file for the same side is a usage error).
 */
export function endpointParser(flags: TlsFlags & PasswordFlags, env: NodeJS.ProcessEnv = process.env): (url: string, side: Side) => RedisEndpoint {
  const files = { ca: flags['tls-ca'], cert: flags['tls-cert'], key: flags['tls-key'], insecure: flags['tls-insecure'] };
  const tls: TlsSettings | undefined = files.ca || files.cert || files.key || files.insecure ? readTlsFiles(files) : undefined;
  return (url, side) => {
    const e = parseRedisUrl(url);
    if (e.tls && tls) e.tls = { ...tls };
    const name = `${side}-password-file` as const;
    const flag = `--${name}`;
    const file = flags[name];
    if (file !== undefined) {
      if (e.password !== undefined) throw new UsageError(`--${side} holds a password and ${flag} gives one too: give it once`);
      e.password = readPasswordFile(file, flag);
    } else if (e.password === undefined && env[PASSWORD_ENV[side]]) {
      e.password = env[PASSWORD_ENV[side]];
    }
    return e;
  };
}

/** A password file for a side the command does not have. */
export function checkPasswordSides(flags: PasswordFlags, sides: Partial<Record<Side, unknown>>): void {
  for (const side of ['source', 'target'] as const) {
    if (flags[`${side}-password-file` as const] !== undefined && sides[side] === undefined) {
      throw new UsageError(`--${side}-password-file is given, but no --${side}`);
    }
  }
}
