/** A throwaway self-signed certificate for TLS tests (openssl CLI). */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface TlsFiles {
  cert: string;
  key: string;
  /** The certificate as PEM text: the CA a client must be given to trust it (it signed itself). */
  pem: string;
  cleanup(): void;
}

/**
 * `names` are the certificate's subject alternative names; by default those a
 * test connects with, so that only a missing CA makes verification fail.
 */
export function makeTlsFiles(names = 'DNS:localhost,IP:127.0.0.1'): TlsFiles {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dts-tls-'));
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  const res = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert,
    '-days', '1', '-subj', '/CN=localhost', '-addext', `subjectAltName=${names}`], { encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`openssl could not make a test certificate (apt-get install -y openssl):\n${res.stderr}`);
  return { cert, key, pem: fs.readFileSync(cert, 'utf8'), cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** redis-server settings for a TLS port with these files (clients are not asked for certificates). */
export function tlsServerConfig(files: TlsFiles, tlsPort: number): Record<string, string | number> {
  return { 'tls-port': tlsPort, 'tls-cert-file': files.cert, 'tls-key-file': files.key, 'tls-ca-cert-file': files.cert, 'tls-auth-clients': 'no' };
}
