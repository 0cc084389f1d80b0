/**
 * Session settings, read from the environment:
 * - `DTS_SESSION_SECRET`: the password iron-session seals the cookie with (32+ characters). When unset,
 *   a random one is generated once into `session.key` beside the database (mode 0600), like `secret.key`.
 * - `DTS_SESSION_IDLE_MINUTES` (default 30): a session ends after this long without activity.
 * - `DTS_SESSION_MAX_HOURS` (default 12): and in any case this long after sign-in.
 * - `DTS_COOKIE_SECURE` (`1`/`0`): mark the cookie Secure; by default it is Secure when the request came over HTTPS.
 */
import path from 'node:path';
import { dataDirectory } from '@/lib/db/url';
import { readOrCreateKeyFile } from '@/lib/secrets/key';

export const SESSION_COOKIE = 'dts_session';

type Env = Record<string, string | undefined>;

function positive(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number (got ${JSON.stringify(value)})`);
  return n;
}

export function idleTimeoutMs(env: Env = process.env): number {
  return positive(env.DTS_SESSION_IDLE_MINUTES, 30, 'DTS_SESSION_IDLE_MINUTES') * 60_000;
}

export function maxSessionMs(env: Env = process.env): number {
  return positive(env.DTS_SESSION_MAX_HOURS, 12, 'DTS_SESSION_MAX_HOURS') * 3_600_000;
}

const cache = new Map<string, string>();

/** The iron-session password: DTS_SESSION_SECRET, else the generated session.key beside the database. */
export function sessionSecret(env: Env = process.env): string {
  const fromEnv = env.DTS_SESSION_SECRET;
  if (fromEnv) {
    if (fromEnv.length < 32) throw new Error('DTS_SESSION_SECRET must be at least 32 characters; generate one with: openssl rand -base64 32');
    return fromEnv;
  }
  const file = path.join(dataDirectory(env as NodeJS.ProcessEnv), 'session.key');
  let secret = cache.get(file);
  if (!secret) {
    secret = readOrCreateKeyFile(file).toString('base64');
    cache.set(file, secret);
  }
  return secret;
}

/** Whether the cookie is marked Secure for a request made with `protocol` ('https' or 'http'). */
export function secureCookie(protocol: string | null | undefined, env: Env = process.env): boolean {
  if (env.DTS_COOKIE_SECURE === '1') return true;
  if (env.DTS_COOKIE_SECURE === '0') return false;
  return protocol === 'https';
}
