/**
 * Opening a control connection to one Redis node with ioredis (the precheck's items and Test
 * Connection use its commands), with every way it can fail classified and worded as the
 * engine's own connections do (net/failure.ts, net/wording.ts), as sentences.
 */
import Redis from 'ioredis';
import { DtsError } from '../errors';
import { classifyFailure, isNoPasswordConfigured, type ConnectionFailure, type FailureContext } from '../net/failure';
import { clientCertificateRefusal, openSocket, tlsConnectOptions } from '../net/socket';
import { asSentence, failureWords, type ConnectFailureKind } from '../net/wording';
import type { RedisEndpoint } from './types';

export type { ConnectFailureKind } from '../net/wording';

export const DEFAULT_TIMEOUT_MS = 5_000;

export class ConnectError extends DtsError {
  constructor(readonly kind: ConnectFailureKind, message: string, hint?: string, options?: { cause?: unknown }) {
    super(`connect-${kind}`, message, hint, options);
  }

  /** A classified failure as the precheck and Test Connection say it: the address alone, in sentences. */
  static of(failure: ConnectionFailure, ep: RedisEndpoint, cause?: unknown): ConnectError {
    const words = failureWords(failure, { endpoint: ep });
    return new ConnectError(words.probe, asSentence(words.message), words.hint && asSentence(words.hint),
      cause === undefined ? undefined : { cause: plainCause(cause) });
  }
}

/**
 * What of a client library's error may travel as `cause`: its code and message, nothing else. An ioredis
 * reply error carries the command it answered (`command.args`: AUTH's are the user and the password), one
 * `console.error(err)` away from a log.
 */
export function plainCause(err: unknown): Error {
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: unknown } | null)?.code;
  const plain = new Error(message);
  if (typeof code === 'string' || typeof code === 'number') Object.assign(plain, { code });
  return plain;
}

export { endpointAddress as addressOf } from '../endpoint';

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
  let stage: FailureContext['stage'] = 'connect';
  try {
    await withDeadline(client.connect(), timeout + 500, 'connect');
    stage = 'login';
    if (ep.password || ep.username) {
      try {
        if (ep.username) await client.call('AUTH', ep.username, ep.password ?? '');
        else await client.call('AUTH', ep.password ?? '');
      } catch (err) {
        if (!isNoPasswordConfigured(String((err as Error).message))) throw err;
      }
      stage = 'use';
    }
    await client.call('PING');
    if (opts.name) await client.call('CLIENT', 'SETNAME', opts.name).catch(() => undefined);
    return client;
  } catch (err) {
    client.disconnect();
    const generic = err instanceof Error && /Connection is closed/i.test(err.message);
    const cause = generic && socketError ? socketError : err;
    const failure = classifyFailure(cause, { tls: ep.tls !== undefined, stage });
    if (ep.tls && failure.kind === 'connect-timeout' && (await tcpAccepts(ep, Math.min(timeout, 2_000)))) {
      // The port takes TCP connections, so it is the TLS handshake that never completed.
      throw ConnectError.of({ kind: 'tls-to-plain', ms: timeout }, ep, cause);
    }
    if (ep.tls && (failure.kind === 'tls' || failure.kind === 'tls-to-plain' || failure.kind === 'tls-closed')) {
      // ioredis writes as soon as the handshake is done, so a refused client certificate may show only as a reset: ask again.
      const refusal = await clientCertificateRefusal(ep, Math.min(timeout, 2_000));
      if (refusal) throw ConnectError.of(refusal, ep, cause);
    }
    throw ConnectError.of(failure, ep, cause);
  }
}

/** Whether the port takes a TCP connection (TLS left out): to tell a TLS handshake that never ends from a silent host. */
async function tcpAccepts(ep: RedisEndpoint, timeoutMs: number): Promise<boolean> {
  try {
    (await openSocket({ ...ep, tls: undefined }, { timeoutMs })).destroy();
    return true;
  } catch {
    return false;
  }
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
