import { z } from 'zod';
import { ClientCertificateError, checkClientCertificate, readCaPem, readClientCertPem, type CertificateSummary, type TlsSettings } from '@/engine/endpoint';
import { DtsError } from '@/engine/errors';
import { decryptSecret } from '@/lib/secrets';

/** At most this much PEM text in CA Certificate: a bundle of a few dozen certificates. */
const MAX_CA_PEM = 64 * 1024;

/** The CA Certificate field's problem in words, or undefined when it holds PEM certificates. */
export function caCertificateProblem(pem: string): string | undefined {
  if (pem.length > MAX_CA_PEM) return `CA Certificate: at most ${MAX_CA_PEM / 1024} KB of PEM text.`;
  try {
    readCaPem(pem);
    return undefined;
  } catch (err) {
    if (!(err instanceof DtsError)) throw err;
    return `CA Certificate: ${err.message}; ${err.hint}.`;
  }
}

/** PEM CA certificate text, checked to be one (the message names the field and the fix). */
export const caPemSchema = z.string().superRefine((pem, ctx) => {
  const problem = caCertificateProblem(pem);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/** At most this much PEM text in Client Certificate (a certificate and its chain) or Client Private Key. */
const MAX_CLIENT_PEM = 64 * 1024;

/**
 * What is wrong with a client certificate and key pair, on the field to fix, or
 * undefined when both are usable: both or neither, readable, and the key the certificate's.
 */
export function clientCertificateProblem(certPem: string, keyPem: string): { field: 'tlsCert' | 'tlsKey'; message: string } | undefined {
  if (!certPem && !keyPem) return undefined;
  if (certPem.length > MAX_CLIENT_PEM) return { field: 'tlsCert', message: `Client Certificate: at most ${MAX_CLIENT_PEM / 1024} KB of PEM text.` };
  if (keyPem.length > MAX_CLIENT_PEM) return { field: 'tlsKey', message: `Client Private Key: at most ${MAX_CLIENT_PEM / 1024} KB of PEM text.` };
  if (!keyPem) return { field: 'tlsKey', message: 'Client Private Key: paste the private key of the Client Certificate (both or neither).' };
  if (!certPem) return { field: 'tlsCert', message: 'Client Certificate: paste the certificate that goes with the Client Private Key (both or neither).' };
  try {
    checkClientCertificate(certPem, keyPem);
    return undefined;
  } catch (err) {
    if (!(err instanceof ClientCertificateError)) throw err;
    return err.field === 'cert'
      ? { field: 'tlsCert', message: `Client Certificate: ${err.message}; ${err.hint}.` }
      : { field: 'tlsKey', message: `Client Private Key: ${err.message}; ${err.hint}.` };
  }
}

/** One side of a task as stored in Task.source / Task.target (the password and the client key are only ever stored encrypted). */
export const endpointSchema = z.object({
  databaseType: z.enum(['Redis', 'Tair']).default('Redis'),
  accessMethod: z.enum(['cloud', 'self-managed']).default('self-managed'),
  region: z.string().default('local'),
  instanceId: z.string().optional(),
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535).default(6379),
  mode: z.enum(['standalone', 'cluster']).default('standalone'),
  authMethod: z.enum(['password', 'password-free']).default('password'),
  username: z.string().optional(),
  passwordEnc: z.string().optional(),
  tls: z.boolean().default(false),
  /** PEM of the CA the server's certificate must chain to; absent: the system's trusted CAs. Not a secret, but never logged. */
  tlsCa: caPemSchema.optional(),
  /** Skip certificate verification: encrypted, but nothing proves who answers (an explicit, insecure choice). */
  tlsInsecure: z.boolean().default(false),
  /** PEM of the client certificate presented to a server with tls-auth-clients; stored with its key or not at all. */
  tlsCert: z.string().optional(),
  /** The client certificate's private key, encrypted (lib/secrets); decrypted only in memory for a connection. */
  tlsKeyEnc: z.string().optional(),
});

export type Endpoint = z.infer<typeof endpointSchema>;

/**
 * Where a stored secret may be sent: the endpoint it was entered for. A stored
 * password or client key is used again only while these stay the same (access
 * method and instance, host, port, SSL on/off and whether the certificate is
 * verified); when any changes it must be entered again, so an operator cannot
 * point a saved task (or instance) at a host of their own and receive its
 * credentials. The username travels with the password (both are one field).
 */
export type CredentialBinding = Pick<Endpoint, 'accessMethod' | 'host' | 'port' | 'tls' | 'tlsInsecure'> & { instanceId?: string | null };

export function sameCredentialBinding(a: CredentialBinding, b: CredentialBinding): boolean {
  const key = (e: CredentialBinding) => JSON.stringify([e.accessMethod, e.accessMethod === 'cloud' ? e.instanceId ?? '' : '',
    e.host.toLowerCase(), e.port, e.tls, e.tls && e.tlsInsecure]);
  return key(a) === key(b);
}

/** The refusal when a kept secret would go elsewhere; `what` names it ("password", "client private key"). */
export function rebindingMessage(what: string): string {
  return `The address, port, access method or encryption changed since the ${what} was stored: enter the ${what} again.`;
}

type TlsFields = Pick<Endpoint, 'tls' | 'tlsCa' | 'tlsInsecure' | 'tlsCert' | 'tlsKeyEnc'>;

/** The TLS settings every connection to this side uses (Test Connection, precheck, the task, the verifier): one mapping for all. */
export function tlsSettingsOf(e: TlsFields): TlsSettings | undefined {
  if (!e.tls) return undefined;
  const client = e.tlsCert && e.tlsKeyEnc ? { cert: Buffer.from(e.tlsCert), key: Buffer.from(decryptSecret(e.tlsKeyEnc)) } : {};
  return { ca: e.tlsCa ? Buffer.from(e.tlsCa) : undefined, ...client, insecure: e.tlsInsecure };
}

/** Which CA a stored PEM holds, for pages that say one is set without showing it: "CN (valid until date)". */
export function caCertificateLabel(pem: string): string {
  try {
    const certs = readCaPem(pem);
    const first = `${certs[0].subject} (valid until ${certs[0].validTo.slice(0, 10)})`;
    return certs.length > 1 ? `${first} and ${certs.length - 1} more` : first;
  } catch {
    return 'unreadable';
  }
}

/** Which client certificate a stored PEM holds, without showing it: "CN, valid until date". */
export function clientCertificateLabel(pem: string): string {
  let cert: CertificateSummary;
  try {
    cert = readClientCertPem(pem);
  } catch {
    return 'unreadable';
  }
  return `${cert.subject}, valid until ${cert.validTo.slice(0, 10)}`;
}

/** The Encryption setting in words, with how the certificate is checked and which client certificate is presented. */
export function encryptionLabel(e: Pick<Endpoint, 'tls' | 'tlsCa' | 'tlsInsecure' | 'tlsCert'>): string {
  if (!e.tls) return 'Non-encrypted';
  const client = e.tlsCert ? `; client certificate: ${clientCertificateLabel(e.tlsCert)}` : '';
  if (e.tlsInsecure) return `SSL, certificate not verified (insecure)${client}`;
  return `${e.tlsCa ? `SSL, CA Certificate set: ${caCertificateLabel(e.tlsCa)}` : 'SSL, system trusted CAs'}${client}`;
}

/** How a side is shown in lists: the instance ID when it has one, else host:port. */
export function endpointLabel(json: string): string {
  const parsed = endpointSchema.safeParse(safeJson(json));
  if (!parsed.success) return 'unknown';
  const e = parsed.data;
  return e.instanceId ? e.instanceId : `${e.host}:${e.port}`;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
