/**
 * The 32-byte key that encrypts stored passwords: `DTS_SECRET_KEY` (base64 of
 * 32 bytes) when set, else a key file created on first use next to the
 * database (`secret.key`, mode 0600). Never logged.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { dataDirectory } from '@/lib/db/url';

export const KEY_BYTES = 32;

/** Environment variables read here (process.env by default). */
export type Env = Record<string, string | undefined>;

export class SecretKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretKeyError';
  }
}

/** Decodes a base64 key and checks its length. */
export function decodeKey(text: string, origin: string): Buffer {
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length !== KEY_BYTES) {
    throw new SecretKeyError(`${origin} must hold ${KEY_BYTES} bytes in base64 (got ${key.length}); generate one with: openssl rand -base64 32`);
  }
  return key;
}

/** Where the generated key lives: the data folder (beside a SQLite database). */
export function keyFilePath(env: Env = process.env): string {
  return path.join(dataDirectory(env as NodeJS.ProcessEnv), 'secret.key');
}

/** Reads the key file, creating it (0600, exclusive) when it does not exist yet. */
export function readOrCreateKeyFile(file: string): Buffer {
  try {
    return decodeKey(fs.readFileSync(file, 'utf8'), file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const text = crypto.randomBytes(KEY_BYTES).toString('base64');
  try {
    fs.writeFileSync(file, `${text}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    // Another process created it first: use theirs.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return decodeKey(fs.readFileSync(file, 'utf8'), file);
    throw err;
  }
  fs.chmodSync(file, 0o600);
  return Buffer.from(text, 'base64');
}

const cache = new Map<string, Buffer>();

/** The key in force for this environment (cached per source). */
export function secretKey(env: Env = process.env): Buffer {
  const fromEnv = env.DTS_SECRET_KEY;
  if (fromEnv) return decodeKey(fromEnv, 'DTS_SECRET_KEY');
  const file = keyFilePath(env);
  let key = cache.get(file);
  if (!key) {
    key = readOrCreateKeyFile(file);
    cache.set(file, key);
  }
  return key;
}
