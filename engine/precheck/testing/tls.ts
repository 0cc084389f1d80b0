/** A throwaway self-signed certificate for TLS tests (openssl CLI). */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface TlsFiles {
  cert: string;
  key: string;
  cleanup(): void;
}

export function makeTlsFiles(): TlsFiles {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dts-tls-'));
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  const res = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert,
    '-days', '1', '-subj', '/CN=localhost'], { encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`openssl could not make a test certificate (apt-get install -y openssl):\n${res.stderr}`);
  return { cert, key, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
