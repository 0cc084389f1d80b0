import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decryptSecret, encryptSecret, SecretDecryptError } from './cipher';
import { keyFilePath, readOrCreateKeyFile, secretKey, SecretKeyError } from './key';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dts-secrets-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('secret cipher', () => {
  const key = crypto.randomBytes(32);

  it('round-trips, with a fresh IV each time and no plaintext in the stored form', () => {
    const a = encryptSecret('admin:Rp829dlwa', key);
    const b = encryptSecret('admin:Rp829dlwa', key);
    expect(a).not.toBe(b);
    expect(a).toMatch(/^v1:/);
    expect(a).not.toContain('Rp829dlwa');
    expect(decryptSecret(a, key)).toBe('admin:Rp829dlwa');
    expect(decryptSecret(encryptSecret('pässwörd ✓', key), key)).toBe('pässwörd ✓');
  });

  it('refuses a wrong key and a tampered value without echoing the secret', () => {
    const stored = encryptSecret('hunter2', key);
    expect(() => decryptSecret(stored, crypto.randomBytes(32))).toThrow(SecretDecryptError);
    const parts = stored.split(':');
    const body = Buffer.from(parts[3], 'base64');
    body[0] ^= 1;
    parts[3] = body.toString('base64');
    expect(() => decryptSecret(parts.join(':'), key)).toThrow(/cannot be decrypted/);
    expect(() => decryptSecret('plain', key)).toThrow(/unknown format/);
    try {
      decryptSecret(stored, crypto.randomBytes(32));
    } catch (err) {
      expect(String(err)).not.toContain('hunter2');
    }
  });
});

describe('secret key', () => {
  it('comes from DTS_SECRET_KEY when set, and must be 32 bytes', () => {
    const k = crypto.randomBytes(32);
    expect(secretKey({ DTS_SECRET_KEY: k.toString('base64') }).equals(k)).toBe(true);
    expect(() => secretKey({ DTS_SECRET_KEY: crypto.randomBytes(16).toString('base64') })).toThrow(SecretKeyError);
  });

  it('is otherwise generated once beside the database file with mode 0600', () => {
    const env = { DATABASE_URL: `file:${path.join(dir, 'db', 'dts.db')}` };
    const file = keyFilePath(env);
    expect(file).toBe(path.join(dir, 'db', 'secret.key'));
    const first = secretKey(env);
    expect(first).toHaveLength(32);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(readOrCreateKeyFile(file).equals(first)).toBe(true);
    const stored = encryptSecret('s3cret', first);
    expect(decryptSecret(stored, readOrCreateKeyFile(file))).toBe('s3cret');
  });
});
