/**
 * One side of the wizard's step 1 as the browser sends it, and how it becomes
 * the stored endpoint (password encrypted) plus what Test Connection uses.
 */
import { z } from 'zod';
import { db } from '@/lib/db/client';
import { decryptSecret, encryptSecret } from '@/lib/secrets';
import { parseCredentials, type RedisEndpoint } from '@/engine/precheck';
import type { ConnectionTarget } from '@/lib/redis';
import {
  caCertificateLabel, caPemSchema, clientCertificateLabel, clientCertificateProblem, endpointSchema, rebindingMessage, sameCredentialBinding,
  tlsSettingsOf, type Endpoint,
} from './endpoint';

const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$|^\[?[0-9A-Fa-f:.]+\]?$/;

export const endpointInputSchema = z.object({
  dmsInstance: z.string().max(64).default(''),
  databaseType: z.enum(['Redis', 'Tair']),
  accessMethod: z.enum(['cloud', 'self-managed']),
  region: z.string().min(1).max(64),
  instanceId: z.string().trim().max(64).default(''),
  host: z.string().trim().max(255).default(''),
  port: z.number({ error: 'Port must be a number from 1 to 65535.' }).int('Port must be a whole number.')
    .min(1, 'Port must be 1–65535.').max(65535, 'Port must be 1–65535.'),
  mode: z.enum(['standalone', 'cluster']),
  authMethod: z.enum(['password', 'password-free']),
  password: z.string().max(1024).default(''),
  /** Editing a saved task: a blank password keeps the stored one. */
  keepStoredPassword: z.boolean().default(false),
  tls: z.boolean(),
  /** Encryption SSL: PEM of the CA that signed the server's certificate; empty: the system's trusted CAs (or, editing, the stored one). */
  tlsCa: z.union([z.literal(''), caPemSchema]).default(''),
  /** Editing a saved task: a blank CA Certificate keeps the stored one. */
  keepStoredCa: z.boolean().default(false),
  /** Which CA is stored (shown instead of the PEM; the server ignores it). */
  storedCa: z.string().max(512).default(''),
  tlsInsecure: z.boolean().default(false),
  /** Encryption SSL, for a server with tls-auth-clients: the client certificate (PEM) presented to it, with its key or not at all. */
  tlsCert: z.string().default(''),
  /** The Client Certificate's private key (PEM); a secret: stored encrypted, never sent back to the browser. */
  tlsKey: z.string().default(''),
  /** Editing a saved task: blank client certificate fields keep the stored pair. */
  keepStoredClientCert: z.boolean().default(false),
  /** Which client certificate is stored (shown instead of the PEM; the server ignores it). */
  storedClientCert: z.string().max(512).default(''),
}).superRefine((v, ctx) => {
  if (v.accessMethod === 'cloud' && !v.instanceId) ctx.addIssue({ code: 'custom', path: ['instanceId'], message: 'Select an Instance ID.' });
  if (v.accessMethod === 'self-managed') {
    if (!v.host) ctx.addIssue({ code: 'custom', path: ['host'], message: 'Enter the host name or IP address.' });
    else if (!HOST.test(v.host)) ctx.addIssue({ code: 'custom', path: ['host'], message: 'Enter a host name or IP address without scheme or port.' });
  }
  if (v.tls) {
    const problem = clientCertificateProblem(v.tlsCert, v.tlsKey);
    if (problem) ctx.addIssue({ code: 'custom', path: [problem.field], message: problem.message });
  }
});

export type EndpointInput = z.infer<typeof endpointInputSchema>;

export function defaultEndpointInput(region: string): EndpointInput {
  return {
    dmsInstance: '', databaseType: 'Redis', accessMethod: 'self-managed', region, instanceId: '', host: '', port: 6379,
    mode: 'standalone', authMethod: 'password', password: '', keepStoredPassword: false, tls: false,
    tlsCa: '', keepStoredCa: false, storedCa: '', tlsInsecure: false, tlsCert: '', tlsKey: '', keepStoredClientCert: false, storedClientCert: '',
  };
}

/** A stored endpoint back into the form; the password and the client key never leave the server. */
export function endpointToInput(e: Endpoint): EndpointInput {
  return {
    dmsInstance: e.accessMethod === 'cloud' ? (e.instanceId ?? '') : '',
    databaseType: e.databaseType, accessMethod: e.accessMethod, region: e.region, instanceId: e.instanceId ?? '',
    host: e.host, port: e.port, mode: e.mode, authMethod: e.authMethod, password: '',
    keepStoredPassword: Boolean(e.passwordEnc || e.username), tls: e.tls,
    tlsCa: '', keepStoredCa: Boolean(e.tlsCa), storedCa: e.tlsCa ? caCertificateLabel(e.tlsCa) : '', tlsInsecure: e.tlsInsecure,
    tlsCert: '', tlsKey: '', keepStoredClientCert: Boolean(e.tlsCert && e.tlsKeyEnc), storedClientCert: e.tlsCert ? clientCertificateLabel(e.tlsCert) : '',
  };
}

/** Where the password a connection uses came from (the audit trail of Test Connection says it). */
export type CredentialSource = 'entered' | 'stored with the task' | 'stored with the instance' | 'none';

export interface ResolvedEndpoint {
  stored: Endpoint;
  connection: ConnectionTarget;
  credentials: CredentialSource;
  /** Whether a stored client private key is presented. */
  storedClientKey: boolean;
}

export type ResolveResult = { ok: true; value: ResolvedEndpoint } | { ok: false; field: keyof EndpointInput; message: string };

function storedPassword(e: { username?: string | null; passwordEnc?: string | null }): string | undefined {
  const password = e.passwordEnc ? decryptSecret(e.passwordEnc) : '';
  if (e.username) return `${e.username}:${password}`;
  return password || undefined;
}

/**
 * Resolves a Cloud Instance to its registered address and credentials, picks the password, encrypts it for storage.
 * A stored password or client key (the task's, or the instance's) is used only for the endpoint it was stored
 * for (lib/tasks/endpoint.ts sameCredentialBinding); otherwise the person is asked to enter it again.
 */
export async function resolveEndpoint(input: EndpointInput, existing?: Endpoint): Promise<ResolveResult> {
  let host = input.host;
  let port = input.port;
  const tls = input.tls;
  const mode = input.mode;
  const tlsInsecure = tls && input.tlsInsecure;
  let instance: { username: string | null; passwordEnc: string | null; host: string; port: number; tls: boolean } | undefined;
  let fallbackCa: string | undefined;
  if (input.accessMethod === 'cloud') {
    const inst = await db().instance.findUnique({ where: { instanceId: input.instanceId } });
    if (!inst || inst.region !== input.region) {
      return { ok: false, field: 'instanceId', message: `Instance ${input.instanceId} is not registered in this region.` };
    }
    host = inst.host;
    port = inst.port;
    instance = inst;
    fallbackCa = inst.tlsCa ?? undefined;
  }
  const here = { accessMethod: input.accessMethod, instanceId: input.instanceId, host, port, tls, tlsInsecure };
  const keepsTaskSecrets = existing !== undefined && sameCredentialBinding(existing, here);
  let password: string | undefined;
  let credentials: CredentialSource = 'none';
  if (input.authMethod === 'password') {
    if (input.password) {
      password = input.password;
      credentials = 'entered';
    } else if (input.keepStoredPassword && existing && (existing.passwordEnc || existing.username)) {
      if (!keepsTaskSecrets) return { ok: false, field: 'password', message: rebindingMessage('password') };
      password = storedPassword(existing);
      credentials = 'stored with the task';
    } else if (instance && (instance.passwordEnc || instance.username)) {
      // The instance's password goes only where, and how, it was registered: not over plain text, nor unverified SSL.
      const registered = { accessMethod: 'cloud' as const, instanceId: input.instanceId, host: instance.host, port: instance.port, tls: instance.tls, tlsInsecure: false };
      if (!sameCredentialBinding(registered, here)) {
        return { ok: false, field: 'password', message: `Instance ${input.instanceId} was registered ${instance.tls ? 'with SSL (certificate verified)' : 'without SSL'}: its stored password is sent only that way. Set Encryption as registered, or enter the password.` };
      }
      password = storedPassword(instance);
      credentials = 'stored with the instance';
    }
  }
  const { username, password: secret } = parseCredentials(password);
  // A CA means nothing without SSL or with verification skipped: not kept then.
  const tlsCa = tls && !tlsInsecure ? (input.tlsCa || (input.keepStoredCa ? existing?.tlsCa : undefined) || fallbackCa) : undefined;
  // The client certificate is presented whether or not the server's is verified; a new pair replaces the stored one whole.
  let client: Pick<Endpoint, 'tlsCert' | 'tlsKeyEnc'> = {};
  let storedClientKey = false;
  if (tls && input.tlsCert) client = { tlsCert: input.tlsCert, tlsKeyEnc: encryptSecret(input.tlsKey) };
  else if (tls && input.keepStoredClientCert && existing?.tlsCert && existing.tlsKeyEnc) {
    if (!keepsTaskSecrets) return { ok: false, field: 'tlsKey', message: rebindingMessage('client private key') };
    client = { tlsCert: existing.tlsCert, tlsKeyEnc: existing.tlsKeyEnc };
    storedClientKey = true;
  }
  const stored = endpointSchema.parse({
    databaseType: input.databaseType, accessMethod: input.accessMethod, region: input.region,
    instanceId: input.accessMethod === 'cloud' ? input.instanceId : undefined,
    host, port, mode, authMethod: input.authMethod, username, passwordEnc: secret ? encryptSecret(secret) : undefined, tls, tlsCa, tlsInsecure,
    ...client,
  });
  return { ok: true, value: { stored, connection: { host, port, password, tls: tlsSettingsOf(stored), mode }, credentials, storedClientKey } };
}

/** A stored endpoint as the engine takes it (password decrypted, in memory only). */
export function toRedisEndpoint(e: Endpoint): RedisEndpoint {
  return {
    host: e.host, port: e.port, tls: tlsSettingsOf(e), mode: e.mode, audience: 'console',
    username: e.authMethod === 'password' ? e.username : undefined,
    password: e.authMethod === 'password' && e.passwordEnc ? decryptSecret(e.passwordEnc) : undefined,
  };
}
