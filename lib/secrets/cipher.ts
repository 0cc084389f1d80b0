/**
 * AES-256-GCM for secrets at rest. Stored form: `v1:<iv>:<tag>:<ciphertext>`
 * (base64 parts, 12-byte random IV, 16-byte tag). Decryption fails loudly on
 * a wrong key or a tampered value; the error never contains the secret.
 */
import crypto from 'node:crypto';
import { secretKey } from './key';

const VERSION = 'v1';

export class SecretDecryptError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretDecryptError';
  }
}

export function encryptSecret(plain: string, key: Buffer = secretKey()): string {
  const iv = crypto.randomBytes(12);
  const cipher = crypto.createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return [VERSION, iv.toString('base64'), cipher.getAuthTag().toString('base64'), body.toString('base64')].join(':');
}

export function decryptSecret(stored: string, key: Buffer = secretKey()): string {
  const parts = stored.split(':');
  if (parts.length !== 4 || parts[0] !== VERSION) throw new SecretDecryptError('stored secret has an unknown format');
  const [, iv, tag, body] = parts.map((p, i) => (i === 0 ? Buffer.alloc(0) : Buffer.from(p, 'base64')));
  try {
    const decipher = crypto.createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
  } catch {
    throw new SecretDecryptError('stored secret cannot be decrypted: the secret key changed (DTS_SECRET_KEY or data/secret.key) or the value was altered; enter the password again');
  }
}

/** Encrypts when there is something to store; an empty password stores nothing. */
export function sealOptional(plain: string | undefined | null): string | undefined {
  return plain ? encryptSecret(plain) : undefined;
}

export function openOptional(stored: string | undefined | null): string | undefined {
  return stored ? decryptSecret(stored) : undefined;
}
