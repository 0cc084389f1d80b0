/** Throwaway certificates for TLS tests (openssl CLI): a self-signed server certificate and client certificates it signs. */
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

/** A client certificate and its private key as PEM text, what the console's fields take. */
export interface ClientCertificate {
  cert: string;
  key: string;
}

function openssl(args: string[]): void {
  const res = spawnSync('openssl', args, { encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`openssl could not make a test certificate (apt-get install -y openssl):\n${res.stderr}`);
}

/**
 * `names` are the certificate's subject alternative names; by default those a
 * test connects with, so that only a missing CA makes verification fail.
 */
export function makeTlsFiles(names = 'DNS:localhost,IP:127.0.0.1'): TlsFiles {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dts-tls-'));
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  // req -x509 marks it a CA (basicConstraints CA:TRUE), so it can also sign client certificates.
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert,
    '-days', '1', '-subj', '/CN=localhost', '-addext', `subjectAltName=${names}`]);
  return { cert, key, pem: fs.readFileSync(cert, 'utf8'), cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** A client certificate for `cn` signed by the server certificate of `files` (the CA a server with tlsServerConfig trusts). */
export function makeClientCertificate(files: TlsFiles, cn = 'dts-client'): ClientCertificate {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dts-tls-client-'));
  try {
    const csr = path.join(dir, 'client.csr');
    const cert = path.join(dir, 'client.pem');
    const key = path.join(dir, 'client.key');
    openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', csr, '-subj', `/CN=${cn}`]);
    openssl(['x509', '-req', '-in', csr, '-CA', files.cert, '-CAkey', files.key, '-set_serial', String(Date.now()), '-days', '1', '-out', cert]);
    return { cert: fs.readFileSync(cert, 'utf8'), key: fs.readFileSync(key, 'utf8') };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * redis-server settings for a TLS port with these files. By default clients are not
 * asked for certificates; `authClients` is Redis's own default, `tls-auth-clients yes`.
 */
export function tlsServerConfig(files: TlsFiles, tlsPort: number, opts: { authClients?: boolean } = {}): Record<string, string | number> {
  return {
    'tls-port': tlsPort, 'tls-cert-file': files.cert, 'tls-key-file': files.key, 'tls-ca-cert-file': files.cert,
    'tls-auth-clients': opts.authClients ? 'yes' : 'no',
  };
}
