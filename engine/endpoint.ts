/**
 * Where a Redis is and how to log in: parsed from `redis://[user:pass@]host:port`
 * or `rediss://…` (TLS), or built by the console from a task record.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { DtsError } from './errors';

export interface TlsSettings {
  /** PEM CA bundle; undefined uses Node's default trust store. */
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  /** Skip certificate verification (explicit opt-in, for self-signed test setups). */
  insecure?: boolean;
  servername?: string;
}

/**
 * Who set an endpoint up, and so reads its failures: the CLI's user (a URL and --tls-* flags) or
 * the console's (its fields). Hints name the settings that reader can change (net/wording.ts).
 */
export type Audience = 'cli' | 'console';

export interface RedisEndpoint {
  host: string;
  port: number;
  username?: string;
  password?: string;
  tls?: TlsSettings;
  /** Default 'cli'. */
  audience?: Audience;
}

export class EndpointError extends DtsError {}

/** `host:port` for messages. */
export function endpointAddress(e: Pick<RedisEndpoint, 'host' | 'port'>): string {
  return e.host.includes(':') ? `[${e.host}]:${e.port}` : `${e.host}:${e.port}`;
}

// scheme://, a user name, ':', a password up to the authority's last '@'. `[user:pass@]` (usage texts) and
// `<password>` (hints) are placeholders, not credentials.
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#@:[\]<>]*:)(?!<)[^\s/?#]*@/gi;

/** Secrets this short are left to the URL pattern: replacing them everywhere would garble every message. */
const MIN_SECRET_LENGTH = 3;

/**
 * Text with its secrets replaced by `***`, for every message a person or a log may see: the
 * password of any `scheme://user:pass@` in it (the user name kept) and each of `secrets`
 * (passwords given apart, by file or environment), as written and percent-encoded. The one
 * redaction of the engine.
 */
export function redactCredentials(text: string, secrets: readonly string[] = []): string {
  let out = text;
  // Longest first, so a secret holding another is replaced whole.
  const known = [...new Set(secrets)].filter((x) => x.length >= MIN_SECRET_LENGTH).sort((a, b) => b.length - a.length);
  for (const secret of known) {
    out = out.split(secret).join('***');
    const encoded = encodeURIComponent(secret);
    if (encoded !== secret) out = out.split(encoded).join('***');
  }
  return out.replace(URL_CREDENTIALS, '$1$2***@');
}

/** The password written into a URL (up to its last `@`), even when the URL does not parse. */
export function urlSecrets(url: string): string[] {
  const scheme = url.indexOf('://');
  const at = url.lastIndexOf('@');
  if (scheme < 0 || at < scheme) return [];
  const userinfo = url.slice(scheme + 3, at);
  const colon = userinfo.indexOf(':');
  if (colon < 0) return [];
  const password = userinfo.slice(colon + 1);
  try {
    return [password, decodeURIComponent(password)];
  } catch {
    return [password];
  }
}

export function parseRedisUrl(url: string, tls?: TlsSettings): RedisEndpoint {
  // Messages name the URL without its credentials (a usage error must not print the password).
  const shown = redactCredentials(url, urlSecrets(url));
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new EndpointError('BAD_URL', `"${shown}" is not a Redis URL`, 'write it as redis://[user:<password>@]host:port');
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    throw new EndpointError('BAD_URL', `"${shown}" must start with redis:// or rediss:// (TLS)`);
  }
  const port = u.port ? Number(u.port) : 6379;
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!host) throw new EndpointError('BAD_URL', `"${shown}" names no host`);
  const endpoint: RedisEndpoint = { host, port };
  if (u.username) endpoint.username = decodeURIComponent(u.username);
  if (u.password) endpoint.password = decodeURIComponent(u.password);
  if (u.protocol === 'rediss:' || tls) endpoint.tls = { ...(tls ?? {}) };
  return endpoint;
}

/**
 * The console's password field: `<password>` or `<user>:<password>`
 * (the product spec's format for custom accounts).
 */
export function splitAccountPassword(value: string | undefined): { username?: string; password?: string } {
  if (!value) return {};
  const colon = value.indexOf(':');
  if (colon <= 0) return { password: value };
  return { username: value.slice(0, colon), password: value.slice(colon + 1) };
}

export function readTlsFiles(files: { ca?: string; cert?: string; key?: string; insecure?: boolean }): TlsSettings {
  const read = (what: string, file?: string): Buffer | undefined => {
    if (!file) return undefined;
    try {
      return fs.readFileSync(file);
    } catch (err) {
      throw new EndpointError('TLS_FILE', `cannot read the TLS ${what} file ${file}: ${(err as Error).message}`);
    }
  };
  const tls: TlsSettings = { ca: read('CA', files.ca), cert: read('certificate', files.cert), key: read('key', files.key), insecure: files.insecure };
  // The same checks as the console's fields, before anything connects, naming the files.
  if (tls.ca) {
    try {
      readCaPem(tls.ca.toString('utf8'));
    } catch (err) {
      throw new EndpointError('TLS_FILE', `the TLS CA file ${files.ca} cannot be used: ${(err as Error).message}`, (err as EndpointError).hint);
    }
  }
  if (Boolean(tls.cert) !== Boolean(tls.key)) {
    throw new EndpointError('TLS_FILE', `a client certificate needs its key: give --tls-cert and --tls-key together`);
  }
  if (tls.cert && tls.key) {
    try {
      checkClientCertificate(tls.cert.toString('utf8'), tls.key.toString('utf8'));
    } catch (err) {
      const file = err instanceof ClientCertificateError && err.field === 'key' ? `key file ${files.key}` : `certificate file ${files.cert}`;
      throw new EndpointError('TLS_FILE', `the TLS ${file} cannot be used: ${(err as Error).message}`, (err as EndpointError).hint);
    }
  }
  return tls;
}

/** One certificate of a CA bundle, as a person recognizes it. */
export interface CertificateSummary {
  /** The subject's CN, or the whole subject when it has none. */
  subject: string;
  /** ISO date after which the certificate is no longer valid. */
  validTo: string;
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/**
 * Reads a CA bundle given as PEM text (the console's CA Certificate field): the
 * certificates it holds, or an EndpointError saying what is wrong with the text.
 */
export function readCaPem(text: string): CertificateSummary[] {
  const blocks = text.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) {
    // A key pasted by mistake is the likely confusion; it must not be stored.
    if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) {
      throw new EndpointError('TLS_CA', 'this is a private key, not a certificate', 'paste the CA certificate (-----BEGIN CERTIFICATE----- …), never a key');
    }
    throw new EndpointError('TLS_CA', 'this is not a PEM certificate',
      'paste the CA certificate as text, from -----BEGIN CERTIFICATE----- to -----END CERTIFICATE-----');
  }
  return blocks.map((pem, i) => summarize(parseCertificate(pem, 'TLS_CA', blocks.length > 1 ? `certificate ${i + 1} of ${blocks.length}` : 'the certificate')));
}

function parseCertificate(pem: string, code: string, which: string): crypto.X509Certificate {
  try {
    return new crypto.X509Certificate(pem);
  } catch (err) {
    throw new EndpointError(code, `${which} cannot be read (${(err as Error).message})`, 'paste it again, complete and unchanged');
  }
}

function summarize(cert: crypto.X509Certificate): CertificateSummary {
  const cn = /^CN=(.*)$/m.exec(cert.subject)?.[1];
  return { subject: cn ?? cert.subject.split('\n').join(', '), validTo: new Date(cert.validTo).toISOString() };
}

/** A client certificate or its key that cannot be used; `field` says which of the two to fix. */
export class ClientCertificateError extends EndpointError {
  constructor(readonly field: 'cert' | 'key', message: string, hint: string) {
    super(field === 'cert' ? 'TLS_CLIENT_CERT' : 'TLS_CLIENT_KEY', message, hint);
  }
}

/** The client certificate of a PEM text: its first certificate (the rest may be its chain). */
function clientCertificate(text: string): crypto.X509Certificate {
  const first = text.match(PEM_CERTIFICATE)?.[0];
  if (!first) {
    if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) {
      throw new ClientCertificateError('cert', 'this is a private key, not a certificate', 'paste the certificate here and its key in Client Private Key');
    }
    throw new ClientCertificateError('cert', 'this is not a PEM certificate',
      'paste the client certificate as text, from -----BEGIN CERTIFICATE----- to -----END CERTIFICATE-----');
  }
  return parseCertificate(first, 'TLS_CLIENT_CERT', 'the certificate');
}

/** Which client certificate a PEM text holds, as a person recognizes it. */
export function readClientCertPem(text: string): CertificateSummary {
  return summarize(clientCertificate(text));
}

/**
 * Checks a client certificate and its private key as PEM text before they are
 * stored or used: both readable, the key unencrypted (nobody is there to type a
 * passphrase when the task reconnects) and the one the certificate was issued for.
 */
export function checkClientCertificate(certPem: string, keyPem: string): void {
  const cert = clientCertificate(certPem);
  if (/-----BEGIN CERTIFICATE-----/.test(keyPem) && !/PRIVATE KEY-----/.test(keyPem)) {
    throw new ClientCertificateError('key', 'this is a certificate, not a private key', 'paste the private key the Client Certificate was issued for');
  }
  // PKCS#8 and the older OpenSSL form mark an encrypted key in the text; Node's own error for it varies by version.
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(keyPem)) {
    throw new ClientCertificateError('key', 'the key is protected by a passphrase',
      'paste it without one (openssl pkey -in key.pem -out key-plain.pem writes such a copy)');
  }
  let key: crypto.KeyObject;
  try {
    key = crypto.createPrivateKey(keyPem);
  } catch {
    throw new ClientCertificateError('key', 'this is not a PEM private key',
      'paste the private key as text, from -----BEGIN PRIVATE KEY----- (or RSA / EC PRIVATE KEY) to its END line');
  }
  if (!cert.checkPrivateKey(key)) {
    throw new ClientCertificateError('key', 'this key does not belong to the Client Certificate', 'paste the private key the certificate was issued for');
  }
}
