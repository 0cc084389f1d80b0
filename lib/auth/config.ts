/**
 * Session settings, read from the environment:
 * - `DTS_SESSION_SECRET`: the password iron-session seals the cookie with (32+ characters). When unset,
 *   a random one is generated once into `session.key` beside the database (mode 0600), like `secret.key`.
 * - `DTS_SESSION_IDLE_MINUTES` (default 30): a session ends after this long without activity.
 * - `DTS_SESSION_MAX_HOURS` (default 12): and in any case this long after sign-in.
 * - `DTS_HTTPS=1`: the console is reached over HTTPS (a TLS reverse proxy in front, docs/deployment.md): the
 *   cookie is marked Secure and every response carries Strict-Transport-Security. An explicit setting, not a
 *   guess from `X-Forwarded-Proto` (a header any client can send). `DTS_COOKIE_SECURE=1` (older) marks the
 *   cookie Secure only.
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

function flag(value: string | undefined, name: string): boolean {
  if (value === undefined || value === '' || value === '0') return false;
  if (value === '1') return true;
  throw new Error(`${name} must be 1 or 0 (got ${JSON.stringify(value)})`);
}

/** DTS_HTTPS=1: browsers reach the console over HTTPS only. */
export function servedOverHttps(env: Env = process.env): boolean {
  return flag(env.DTS_HTTPS, 'DTS_HTTPS');
}

/** Whether the session cookie is marked Secure (sent by the browser over HTTPS only). */
export function secureCookie(env: Env = process.env): boolean {
  return servedOverHttps(env) || flag(env.DTS_COOKIE_SECURE, 'DTS_COOKIE_SECURE');
}

/** The Strict-Transport-Security value sent with DTS_HTTPS=1 (a year; the console's own host only). */
export const HSTS = 'max-age=31536000';
