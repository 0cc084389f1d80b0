/**
 * Opening a TCP or TLS connection to a Redis and logging in: the one opener of the engine's
 * sockets (the replica link, the writer's connections, control clients, the precheck's raw
 * probes). Failures are classified once (failure.ts) and worded for the endpoint's reader
 * (wording.ts).
 */
import net from 'node:net';
import tls from 'node:tls';
import { DtsError } from '../errors';
import { endpointAddress, type Audience, type RedisEndpoint } from '../endpoint';
import { encodeCommand, RespErrorReply, RespParser, type RespArg, type RespValue } from '../resp';
import {
  classifyFailure, clientCertificateFailure, closedFailure, isNoPasswordConfigured, looksLikeSettings, replyFailure, type ConnectionFailure,
  type FailureContext,
} from './failure';
import { failureWords, type ConnectionErrorCode } from './wording';

export type NetErrorCode = ConnectionErrorCode | 'PROTOCOL' | 'CLOSED';

/** TLS as every connection takes it (a RedisEndpoint's TlsSettings, or the replica link's wider options). */
export type TlsOptions = Pick<tls.ConnectionOptions, 'ca' | 'cert' | 'key' | 'servername'> & { insecure?: boolean };

/** What opening a connection needs of an endpoint; every RedisEndpoint is one. */
export interface SocketTarget {
  host: string;
  port: number;
  username?: string;
  tls?: TlsOptions;
  audience?: Audience;
}

export type Role = 'source' | 'destination';

export class NetError extends DtsError {
  constructor(
    readonly netCode: NetErrorCode,
    message: string,
    hint?: string,
    options?: { cause?: unknown },
    /** What went wrong, when it is a connection failure. */
    readonly failure?: ConnectionFailure,
  ) {
    super(netCode, message, hint, options);
  }

  /** Whether retrying later may help (a broken or unreachable link may come back; a wrong password will not). */
  get transient(): boolean {
    return this.netCode === 'UNREACHABLE' || this.netCode === 'TIMEOUT' || this.netCode === 'LINK_BROKEN';
  }

  /** `transient`, for an endpoint that already worked with these settings (see looksLikeSettings). */
  get transientOnceConnected(): boolean {
    return this.transient || looksLikeSettings(this.failure);
  }

  /** A classified failure, in the words of the endpoint's audience. */
  static of(failure: ConnectionFailure, e: SocketTarget, role: Role | undefined, cause?: unknown): NetError {
    const words = failureWords(failure, { endpoint: e, role });
    return new NetError(words.code, words.message, words.hint, cause === undefined ? undefined : { cause }, failure);
  }

  /** What a socket (or a client library on one) threw; `stage` says how far the connection got. */
  static fromSocket(err: unknown, e: SocketTarget, role: Role | undefined, stage: FailureContext['stage'] = 'use'): NetError {
    return NetError.of(classifyFailure(err, { tls: e.tls !== undefined, stage }), e, role, err);
  }
}

/**
 * The TLS options of every connection to a Redis (the engine's, the precheck's,
 * the console's Test Connection), so all verify a certificate alike: against the
 * given CA, else Node's trust store; for the host name, or for an IP address the
 * certificate's IP entries; not at all only when `insecure` says so.
 */
export function tlsConnectOptions(e: { host: string; tls?: TlsOptions }): tls.ConnectionOptions | undefined {
  if (!e.tls) return undefined;
  return {
    ca: e.tls.ca,
    cert: e.tls.cert,
    key: e.tls.key,
    servername: e.tls.servername ?? (net.isIP(e.host) ? undefined : e.host),
    rejectUnauthorized: !e.tls.insecure,
  };
}

export interface OpenOptions {
  timeoutMs: number;
  /** Named in errors; without it they name the address alone (the precheck's probes). */
  role?: Role;
  /** Turn Nagle's algorithm off (the replica link's ACKs). */
  noDelay?: boolean;
  /** Aborting destroys the socket being opened and rejects with CLOSED. */
  signal?: AbortSignal;
  /**
   * Plain TCP only (ignored with TLS): Node's `onread`, every read into a buffer the caller gives
   * instead of a fresh one each time; no 'data' events are emitted (the callback gets every read).
   */
  onread?: net.OnReadOpts;
}

/** Connects (TCP or TLS) and resolves once the socket is ready for bytes. */
export function openSocket(e: SocketTarget, opts: OpenOptions): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const secure = tlsConnectOptions(e);
    let socket: net.Socket;
    try {
      socket = secure ? tls.connect({ host: e.host, port: e.port, ...secure }) : net.connect({ host: e.host, port: e.port, onread: opts.onread });
    } catch (err) {
      // Node reads the CA, certificate and key synchronously.
      reject(NetError.of({ kind: 'tls-settings', reason: (err as Error).message }, e, opts.role, err));
      return;
    }
    let tcpUp = false;
    const settle = (err?: NetError) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      socket.off('error', onError);
      if (err) {
        socket.destroy();
        reject(err);
        return;
      }
      socket.setKeepAlive(true, 30_000);
      if (opts.noDelay) socket.setNoDelay(true);
      resolve(socket);
    };
    const onError = (err: Error) => settle(NetError.fromSocket(err, e, opts.role, 'connect'));
    const onAbort = () => settle(new NetError('CLOSED', `the connection to ${opts.role ? `the ${opts.role} ` : ''}${endpointAddress(e)} was closed while opening`));
    // A TLS handshake that never completes on a port that took the TCP connection: the port does not speak TLS.
    const timer = setTimeout(() => settle(NetError.of(secure && tcpUp
      ? { kind: 'tls-to-plain', ms: opts.timeoutMs }
      : { kind: 'connect-timeout', ms: opts.timeoutMs }, e, opts.role)), opts.timeoutMs);
    if (opts.signal?.aborted) return onAbort();
    opts.signal?.addEventListener('abort', onAbort);
    socket.once('connect', () => (tcpUp = true));
    socket.once(secure ? 'secureConnect' : 'connect', () => settle());
    socket.on('error', onError);
  });
}

/** Who is at the other end of a socket, so that its errors can say so. */
export interface Peer {
  endpoint: RedisEndpoint;
  role: Role;
}

/**
 * Request/response on a socket not yet in pipelined use: for the log-in and the few set-up
 * calls before the data flows. `answered`: the server has replied on this socket before (a
 * close before any reply means something else than one later). Rejects with a NetError on a
 * closed socket, a socket error (e.g. a TLS alert refusing the client) or a timeout.
 */
export function request(socket: net.Socket, argv: RespArg[], peer: Peer, opts: { timeoutMs?: number; answered?: boolean } = {}): Promise<RespValue> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const command = String(argv[0]);
  const at: FailureContext = { tls: peer.endpoint.tls !== undefined, stage: opts.answered ? 'use' : 'login', command };
  return new Promise((resolve, reject) => {
    const parser = new RespParser();
    const cleanup = () => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      socket.off('error', onClose);
    };
    const onData = (chunk: Buffer) => {
      try {
        parser.execute(chunk, (value) => {
          cleanup();
          resolve(value);
        });
      } catch (err) {
        cleanup();
        reject(err);
      }
    };
    const onClose = (err?: unknown) => {
      cleanup();
      const failure = err instanceof Error ? classifyFailure(err, at) : closedFailure(at);
      reject(NetError.of(failure, peer.endpoint, peer.role, err instanceof Error ? err : undefined));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(NetError.of({ kind: 'reply-timeout', command, ms: timeoutMs, silent: at.stage === 'login' }, peer.endpoint, peer.role));
    }, timeoutMs);
    socket.on('data', onData);
    socket.once('close', onClose);
    socket.once('error', onClose);
    socket.write(encodeCommand(argv));
  });
}

/**
 * AUTH with `password` or `username password`; a refusal becomes AUTH_FAILED naming the account.
 * A password sent to a server that has none is accepted, as Redis does. Resolves whether the server answered.
 */
export async function authenticate(socket: net.Socket, e: RedisEndpoint, role: Role): Promise<boolean> {
  if (!e.password) return false;
  const argv = e.username ? ['AUTH', e.username, e.password] : ['AUTH', e.password];
  const reply = await request(socket, argv, { endpoint: e, role });
  if (reply instanceof RespErrorReply && !isNoPasswordConfigured(reply.message)) {
    throw NetError.of(replyFailure(reply.message) ?? { kind: 'wrong-password', reply: reply.message }, e, role);
  }
  return true;
}

/**
 * A plain request/response connection for control-plane calls on the data path's
 * own terms (INFO, DBSIZE, SCAN, the heartbeat): one call at a time, typed errors.
 */
export class ControlClient {
  private socket?: net.Socket;
  /** The error that ended the socket between calls (e.g. a TLS alert right after connecting), for the next call to report. */
  private socketError?: Error;
  /** Whether the server has answered on this connection yet. */
  private answered = false;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly endpoint: RedisEndpoint, private readonly role: Role, private readonly timeoutMs = 10_000) {}

  async open(): Promise<this> {
    const socket = await openSocket(this.endpoint, { timeoutMs: this.timeoutMs, role: this.role });
    socket.on('error', (err) => { this.socketError ??= err; }); // surfaced by the next call
    try {
      this.answered = await authenticate(socket, this.endpoint, this.role);
    } catch (err) {
      socket.destroy();
      throw err;
    }
    this.socket = socket;
    return this;
  }

  /** One command; calls are serialized. Error replies are returned, not thrown — but NOAUTH, which ends every call. */
  call(argv: RespArg[], timeoutMs = this.timeoutMs): Promise<RespValue> {
    const run = async () => {
      if (!this.socket || this.socket.destroyed) {
        if (this.socketError) throw NetError.fromSocket(this.socketError, this.endpoint, this.role, this.answered ? 'use' : 'login');
        throw new NetError('LINK_BROKEN', `the connection to the ${this.role} ${endpointAddress(this.endpoint)} is closed`);
      }
      const reply = await request(this.socket, argv, { endpoint: this.endpoint, role: this.role }, { timeoutMs, answered: this.answered });
      this.answered = true;
      // A server that wants a password none was given for answers every command so: no call can go on.
      if (reply instanceof RespErrorReply && /^NOAUTH/i.test(reply.message)) throw NetError.of({ kind: 'password-required' }, this.endpoint, this.role);
      return reply;
    };
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }

  close(): void {
    this.socket?.destroy();
    this.socket = undefined;
  }
}

/**
 * Whether the server refuses this client's certificate (or its lack of one), asked on
 * a connection of its own that writes nothing, so the alert cannot be lost: for a
 * client (ioredis) whose first write, made a tick after the handshake, can meet the
 * closed connection first and turn the refusal into ECONNRESET. Over TLS 1.3 the
 * server decides after the client's handshake is done and answers with an alert, or
 * with session tickets when it accepts; a server that sends none is waited for until `timeoutMs`.
 */
export async function clientCertificateRefusal(e: SocketTarget, timeoutMs: number): Promise<ReturnType<typeof clientCertificateFailure>> {
  if (!e.tls) return undefined;
  let socket: net.Socket;
  try {
    socket = await openSocket(e, { timeoutMs });
  } catch (err) {
    // Below TLS 1.3 a refusal ends the handshake itself.
    const failure = err instanceof NetError ? err.failure : undefined;
    return failure?.kind === 'client-certificate' ? failure : undefined;
  }
  if ((socket as tls.TLSSocket).getProtocol() !== 'TLSv1.3') {
    socket.destroy();
    return undefined;
  }
  return new Promise((resolve) => {
    const finish = (result: ReturnType<typeof clientCertificateFailure>) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    socket.once('session', () => finish(undefined));
    socket.once('close', () => finish(undefined));
    socket.once('error', (err) => finish(clientCertificateFailure(err)));
  });
}
