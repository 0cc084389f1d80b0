/**
 * Opening a control connection to one Redis node, with every way it can fail
 * turned into a typed ConnectError whose message a person understands.
 */
import net from 'node:net';
import Redis from 'ioredis';
import { DtsError } from '../errors';
import { socketFailureKind } from '../net/failure';
import {
  certificateFailure, clientCertificateFailure, clientCertificateMessage, clientCertificateRefusal, tlsConnectOptions, type CertificateProblem,
} from '../net/socket';
import type { RedisEndpoint } from './types';

export const DEFAULT_TIMEOUT_MS = 5_000;

/**
 * `certificate`: TLS works but the server's certificate was refused; `client-certificate`: the server
 * refused this client for its certificate or the lack of one; `tls`: one side speaks TLS and the other does not.
 */
export type ConnectFailureKind = 'auth' | 'refused' | 'timeout' | 'tls' | 'certificate' | 'client-certificate' | 'unreachable' | 'error';

export class ConnectError extends DtsError {
  constructor(readonly kind: ConnectFailureKind, message: string, hint?: string, options?: { cause?: unknown }) {
    super(`connect-${kind}`, message, hint, options);
  }
}

export function addressOf(ep: Pick<RedisEndpoint, 'host' | 'port'>): string {
  return ep.host.includes(':') ? `[${ep.host}]:${ep.port}` : `${ep.host}:${ep.port}`;
}

function errnoCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}


/** Maps what ioredis / Node / the server said to a ConnectError. `stage` says how far we got. */
export function classifyConnectError(err: unknown, ep: RedisEndpoint, stage: 'connect' | 'auth' | 'command'): ConnectError {
  if (err instanceof ConnectError) return err;
  const addr = addressOf(ep);
  const code = errnoCode(err);
  const msg = err instanceof Error ? err.message : String(err);
  const kind = socketFailureKind({ code, message: msg });
  const user = ep.username ? `user "${ep.username}"` : 'the default user';

  if (/WRONGPASS|invalid password|invalid username-password/i.test(msg)) {
    return new ConnectError('auth', `Wrong password for ${user} on ${addr}: the server refused the credentials.`,
      'Check Database Password; for an ACL account enter <user>:<password>.', { cause: err });
  }
  if (/NOAUTH|Authentication required/i.test(msg)) {
    return new ConnectError('auth', `${addr} requires a password and none was given.`,
      'Enter the Database Password (<password> or <user>:<password>).', { cause: err });
  }
  if (/NOPERM/i.test(msg)) {
    return new ConnectError('auth', `${user} on ${addr} is not allowed to run basic commands: ${msg}`,
      'Grant the ACL user at least +@read +info +ping (and +psync +@write for synchronization).', { cause: err });
  }
  if (/ERR.*(AUTH.*wrong number|unknown command 'AUTH')/i.test(msg) || (ep.username && /ERR wrong number of arguments for 'auth'/i.test(msg))) {
    return new ConnectError('auth', `${addr} does not support ACL users (<user>:<password>); it is older than Redis 6.`,
      'Enter only the password.', { cause: err });
  }
  if (code === 'ECONNREFUSED') {
    return new ConnectError('refused', `Connection refused by ${addr}: nothing is listening on that port, or a firewall rejects it.`,
      'Check Host and Port and that the server is running and bound to an address this host can reach.', { cause: err });
  }
  if (kind === 'timeout' || /timed out|timeout/i.test(msg)) {
    return new ConnectError('timeout', stage === 'connect'
      ? `Timed out connecting to ${addr}: no answer to the connection request.`
      : `Timed out waiting for ${addr} to answer: the port accepted the connection but no Redis reply came.`,
    stage === 'connect'
      ? 'Check the address and that a firewall or security group allows this host.'
      : ep.tls ? 'Check that the port is a Redis port.' : 'Check that the port is a Redis port; if the server requires SSL, set Encryption to SSL.',
    { cause: err });
  }
  if (kind === 'dns') {
    return new ConnectError('unreachable', `Host name "${ep.host}" cannot be resolved.`, 'Check Host.', { cause: err });
  }
  if (kind === 'unreachable') {
    return new ConnectError('unreachable', `${addr} is unreachable from this host (${code}).`,
      'Check the address, routing and firewall rules.', { cause: err });
  }
  const client = ep.tls ? clientCertificateFailure({ code, message: msg }) : undefined;
  if (client) return clientCertificateError(client, ep, err);
  const cert = ep.tls ? certificateFailure({ code, message: msg, reason: (err as { reason?: unknown } | null)?.reason }) : undefined;
  if (cert) return certificateError(cert.problem, cert.reason, ep, err);
  if (ep.tls && (kind === 'tls' || /socket disconnected before secure TLS/i.test(msg))) {
    return new ConnectError('tls', `SSL handshake with ${addr} failed: the server does not speak TLS on this port (${msg}).`,
      'Set Encryption to Non-encrypted, or use the server\'s TLS port.', { cause: err });
  }
  if (!ep.tls && (/Connection is closed|ECONNRESET|socket hang up|Protocol error/i.test(msg) || code === 'ECONNRESET')) {
    return new ConnectError('tls', `${addr} closed the connection without a Redis reply; it probably requires SSL.`,
      'Set Encryption to SSL (or check that the port is a Redis port).', { cause: err });
  }
  if (ep.tls && /Connection is closed|ECONNRESET/i.test(msg)) {
    return new ConnectError('tls', `${addr} closed the SSL connection: it may not speak TLS, or it rejected this client's certificate.`,
      'Set Encryption to Non-encrypted, or check the server\'s TLS settings.', { cause: err });
  }
  return new ConnectError('error', `Cannot use ${addr}: ${msg}`, undefined, { cause: err });
}

function clientCertificateError(failure: NonNullable<ReturnType<typeof clientCertificateFailure>>, ep: RedisEndpoint, cause: unknown): ConnectError {
  const { message, hint } = clientCertificateMessage(failure.problem, failure.reason, addressOf(ep));
  return new ConnectError('client-certificate', `${message}.`, `${hint[0].toUpperCase()}${hint.slice(1)}.`, { cause });
}

const SKIP_VERIFICATION = 'or, only where nobody can intercept the traffic, choose Skip certificate verification (insecure)';

function certificateError(problem: CertificateProblem, reason: string, ep: RedisEndpoint, cause: unknown): ConnectError {
  const addr = addressOf(ep);
  switch (problem) {
    case 'untrusted':
      return ep.tls?.ca
        ? new ConnectError('certificate', `The TLS certificate of ${addr} is not signed by the CA certificate given (${reason}).`,
          `Paste the CA certificate that issued the server's certificate in CA Certificate, ${SKIP_VERIFICATION}.`, { cause })
        : new ConnectError('certificate', `The TLS certificate of ${addr} is not trusted (${reason}).`,
          `Paste its CA certificate in CA Certificate (PEM), ${SKIP_VERIFICATION}.`, { cause });
    case 'hostname':
      return new ConnectError('certificate', `The TLS certificate of ${addr} is not issued for "${ep.host}" (${reason}).`,
        `Use a host name or IP address the certificate names (its subject alternative names), ${SKIP_VERIFICATION}.`, { cause });
    case 'validity':
      return new ConnectError('certificate', `The TLS certificate of ${addr} is not valid at this time (${reason}).`,
        'Renew the server\'s certificate, or correct the clock of this machine.', { cause });
  }
}

export interface OpenOptions {
  timeoutMs?: number;
  /** Connection name shown by CLIENT LIST. */
  name?: string;
}

/**
 * A connected, authenticated client for one node (never a cluster client:
 * callers walk shards themselves). No reconnects, no offline queue.
 */
export async function openRedis(ep: RedisEndpoint, opts: OpenOptions = {}): Promise<Redis> {
  const timeout = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const client = new Redis({
    host: ep.host,
    port: ep.port,
    lazyConnect: true,
    connectTimeout: timeout,
    commandTimeout: timeout,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    enableReadyCheck: false,
    autoResubscribe: false,
    // Verified exactly as the task's own connections will be: a precheck that passes must not leave a task failing on TLS.
    tls: tlsConnectOptions(ep),
  });
  // ioredis reports the socket's own error (ECONNREFUSED, EPROTO, ...) as an event and rejects the
  // pending call with a generic "Connection is closed."; keep the specific one.
  let socketError: unknown;
  client.on('error', (err: unknown) => { socketError ??= err; });
  let stage: 'connect' | 'auth' | 'command' = 'connect';
  try {
    await withDeadline(client.connect(), timeout + 500, 'connect');
    stage = 'auth';
    if (ep.password || ep.username) {
      try {
        if (ep.username) await client.call('AUTH', ep.username, ep.password ?? '');
        else await client.call('AUTH', ep.password ?? '');
      } catch (err) {
        // A password given to a server without one still connects (Redis says so, ioredis only warns).
        if (!/without any password configured|no password is set/i.test(String((err as Error).message))) throw err;
      }
    }
    stage = 'command';
    await client.call('PING');
    if (opts.name) await client.call('CLIENT', 'SETNAME', opts.name).catch(() => undefined);
    return client;
  } catch (err) {
    client.disconnect();
    const generic = err instanceof Error && /Connection is closed/i.test(err.message);
    const classified = classifyConnectError(generic && socketError ? socketError : err, ep, stage);
    if (ep.tls && stage === 'connect' && classified.kind === 'timeout' && (await tcpAccepts(ep, Math.min(timeout, 2_000)))) {
      // The port takes TCP connections, so it is the SSL handshake that never completed.
      throw new ConnectError('tls', `SSL handshake with ${addressOf(ep)} did not complete: the port accepts connections but does not speak TLS.`,
        'Set Encryption to Non-encrypted, or use the server\'s TLS port.', { cause: err });
    }
    if (ep.tls && classified.kind === 'tls') {
      // ioredis writes as soon as the handshake is done, so a refused client certificate may show only as a reset: ask again.
      const refusal = await clientCertificateRefusal(ep, Math.min(timeout, 2_000));
      if (refusal) throw clientCertificateError(refusal, ep, err);
    }
    throw classified;
  }
}

function tcpAccepts(ep: RedisEndpoint, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: ep.host, port: ep.port });
    const done = (ok: boolean) => { clearTimeout(t); socket.destroy(); resolve(ok); };
    const t = setTimeout(() => done(false), timeoutMs);
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

function withDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(Object.assign(new Error(`${what} timed out`), { code: 'ETIMEDOUT' })), ms);
    p.then((v) => { clearTimeout(t); resolve(v); }, (e: unknown) => { clearTimeout(t); reject(e); });
  });
}

/** Closes quietly. */
export function closeRedis(client: Redis | undefined): void {
  client?.disconnect();
}
