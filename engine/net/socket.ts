/**
 * Opening a TCP or TLS connection to a Redis and logging in, with failures
 * turned into errors that say what went wrong in words a person can act on.
 */
import net from 'node:net';
import tls from 'node:tls';
import { DtsError } from '../errors';
import { socketFailureKind, tlsReason } from './failure';
import { endpointAddress, type RedisEndpoint } from '../endpoint';
import { encodeCommand, RespErrorReply, RespParser, type RespArg, type RespValue } from '../resp';

export type NetErrorCode =
  | 'UNREACHABLE' | 'TIMEOUT' | 'TLS' | 'AUTH_FAILED' | 'NOPERM' | 'LINK_BROKEN' | 'PROTOCOL' | 'CLOSED';

export type Role = 'source' | 'destination';

export class NetError extends DtsError {
  constructor(readonly netCode: NetErrorCode, message: string, hint?: string, options?: { cause?: unknown }) {
    super(netCode, message, hint, options);
  }

  /** Whether retrying later may help (a broken or unreachable link may come back; a wrong password will not). */
  get transient(): boolean {
    return this.netCode === 'UNREACHABLE' || this.netCode === 'TIMEOUT' || this.netCode === 'LINK_BROKEN';
  }

  static fromSocket(err: Error & { code?: string }, e: RedisEndpoint, role: Role): NetError {
    const where = `the ${role} ${endpointAddress(e)}`;
    const code = err.code ?? '';
    switch (socketFailureKind(err)) {
      case 'unreachable':
        return code === 'ECONNREFUSED'
          ? new NetError('UNREACHABLE', `${where} refused the connection: nothing listens on that port`,
            'check the host and port, and that the server is running', { cause: err })
          : new NetError('UNREACHABLE', `${where} is unreachable from this machine (${code})`,
            'check the network path and firewall rules', { cause: err });
      case 'dns':
        return new NetError('UNREACHABLE', `the ${role} host "${e.host}" could not be resolved`, 'check the host name', { cause: err });
      case 'timeout':
        return new NetError('TIMEOUT', `${where} did not answer in time`, 'check the network path and firewall rules', { cause: err });
      case 'tls': {
        const client = clientCertificateFailure(err);
        if (client) return clientCertificateError(client, where, err);
        return new NetError('TLS', `TLS with ${where} failed: ${tlsReason(err.message)}`,
          'check the Encryption setting (SSL or Non-encrypted) and the CA certificate', { cause: err });
      }
      case 'reset':
        return new NetError('LINK_BROKEN', `${where} closed the connection (${code})`,
          e.tls ? 'if the server does not use TLS, set Encryption to Non-encrypted' : 'if the server requires TLS, set Encryption to SSL', { cause: err });
      default:
        return new NetError('LINK_BROKEN', `connection to ${where} failed: ${err.message}`, undefined, { cause: err });
    }
  }
}

/**
 * The TLS options of every connection to a Redis (the engine's, the precheck's,
 * the console's Test Connection), so all verify a certificate alike: against the
 * given CA, else Node's trust store; for the host name, or for an IP address the
 * certificate's IP entries; not at all only when `insecure` says so.
 */
export function tlsConnectOptions(e: {
  host: string;
  tls?: Pick<tls.ConnectionOptions, 'ca' | 'cert' | 'key' | 'servername'> & { insecure?: boolean };
}): tls.ConnectionOptions | undefined {
  if (!e.tls) return undefined;
  return {
    ca: e.tls.ca,
    cert: e.tls.cert,
    key: e.tls.key,
    servername: e.tls.servername ?? (net.isIP(e.host) ? undefined : e.host),
    rejectUnauthorized: !e.tls.insecure,
  };
}

/** Why the server's certificate was refused: no trusted issuer, another host's, or out of its validity dates. */
export type CertificateProblem = 'untrusted' | 'hostname' | 'validity';

const CERTIFICATE_CODES: Record<string, CertificateProblem> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: 'untrusted',
  SELF_SIGNED_CERT_IN_CHAIN: 'untrusted',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'untrusted',
  UNABLE_TO_GET_ISSUER_CERT: 'untrusted',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'untrusted',
  CERT_UNTRUSTED: 'untrusted',
  CERT_REJECTED: 'untrusted',
  CERT_SIGNATURE_FAILURE: 'untrusted',
  INVALID_CA: 'untrusted',
  ERR_TLS_CERT_ALTNAME_INVALID: 'hostname',
  HOSTNAME_MISMATCH: 'hostname',
  CERT_HAS_EXPIRED: 'validity',
  CERT_NOT_YET_VALID: 'validity',
};

/**
 * A failed verification of the server's certificate (not a TLS / plain-text
 * mismatch), with OpenSSL's or Node's reason; undefined for any other error.
 */
export function certificateFailure(err: { code?: unknown; message?: string; reason?: unknown }): { problem: CertificateProblem; reason: string } | undefined {
  const problem = typeof err.code === 'string' ? CERTIFICATE_CODES[err.code] : undefined;
  if (!problem) return undefined;
  // Node puts the useful part of a host name mismatch ("IP: 127.0.0.1 is not in the cert's list") in `reason`.
  const reason = problem === 'hostname' && typeof err.reason === 'string' ? err.reason.replace(/[:\s]+$/, '') : tlsReason(err.message ?? String(err.code));
  return { problem, reason };
}

/** Why the server refused this client on TLS: it presented no certificate, or one the server does not accept. */
export type ClientCertificateProblem = 'required' | 'rejected';

/*
 * The alerts a server sends about the client's certificate. Over TLS 1.3 they come
 * after the client's handshake completed, so they surface on the first read (AUTH,
 * PING), not on connect.
 */
const CLIENT_CERTIFICATE_ALERTS: Record<string, ClientCertificateProblem> = {
  ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED: 'required',
  ERR_SSL_TLSV1_ALERT_UNKNOWN_CA: 'rejected',
  // Issued by another CA of the same name as the server's: the signature does not check.
  ERR_SSL_TLSV1_ALERT_DECRYPT_ERROR: 'rejected',
  ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE: 'rejected',
  ERR_SSL_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE: 'rejected',
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_REVOKED: 'rejected',
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED: 'rejected',
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN: 'rejected',
};

/** The server's refusal of this client's certificate (or of its absence), with OpenSSL's reason; undefined for any other error. */
export function clientCertificateFailure(err: { code?: unknown; message?: string }): { problem: ClientCertificateProblem; reason: string } | undefined {
  const problem = typeof err.code === 'string' ? CLIENT_CERTIFICATE_ALERTS[err.code] : undefined;
  return problem ? { problem, reason: tlsReason(err.message ?? String(err.code)) } : undefined;
}

/** The words for a refused client certificate, shared by the console (`where` is an address) and the engine ("the destination host:port"). */
export function clientCertificateMessage(problem: ClientCertificateProblem, reason: string, where: string): { message: string; hint: string } {
  return problem === 'required'
    ? { message: `${where} requires a client certificate (tls-auth-clients)`,
      hint: 'add Client Certificate and Client Private Key (a certificate signed by a CA the server trusts, its tls-ca-cert-file)' }
    : { message: `${where} does not accept the client certificate (${reason})`,
      hint: 'use a client certificate signed by a CA the server trusts (its tls-ca-cert-file) and still valid' };
}

function clientCertificateError(failure: { problem: ClientCertificateProblem; reason: string }, where: string, cause: Error): NetError {
  const { message, hint } = clientCertificateMessage(failure.problem, failure.reason, where);
  return new NetError('TLS', message, hint, { cause });
}

/**
 * Whether the server refuses this client's certificate (or its lack of one), asked on
 * a connection of its own that writes nothing, so the alert cannot be lost: for a
 * client (ioredis) whose first write, made a tick after the handshake, can meet the
 * closed connection first and turn the refusal into ECONNRESET. Over TLS 1.3 the
 * server decides after the client's handshake is done and answers with an alert, or
 * with session tickets when it accepts; a server that sends none is waited for until `timeoutMs`.
 */
export function clientCertificateRefusal(e: Pick<RedisEndpoint, 'host' | 'port' | 'tls'>, timeoutMs: number): Promise<ReturnType<typeof clientCertificateFailure>> {
  const secure = tlsConnectOptions(e);
  if (!secure) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const finish = (result: ReturnType<typeof clientCertificateFailure>) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    // Below TLS 1.3 a refusal ends the handshake itself.
    const socket = tls.connect({ host: e.host, port: e.port, ...secure }, () => { if (socket.getProtocol() !== 'TLSv1.3') finish(undefined); });
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    socket.once('session', () => finish(undefined));
    socket.once('close', () => finish(undefined));
    socket.once('error', (err) => finish(clientCertificateFailure(err)));
  });
}

export interface OpenOptions {
  timeoutMs: number;
  role: Role;
}

/** Connects (TCP or TLS) and resolves once the socket is ready for bytes. */
export function openSocket(e: RedisEndpoint, opts: OpenOptions): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    let socket: net.Socket;
    const onError = (err: Error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(NetError.fromSocket(err, e, opts.role));
    };
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new NetError('TIMEOUT', `the ${opts.role} ${endpointAddress(e)} did not accept a connection within ${Math.round(opts.timeoutMs / 1000)} s`,
        'check the host, the port and firewall rules'));
    }, opts.timeoutMs);
    const ready = () => {
      clearTimeout(timer);
      socket.off('error', onError);
      socket.setKeepAlive(true, 30_000);
      resolve(socket);
    };
    const secure = tlsConnectOptions(e);
    if (secure) {
      socket = tls.connect({ host: e.host, port: e.port, ...secure }, ready);
    } else {
      socket = net.connect({ host: e.host, port: e.port }, ready);
    }
    socket.once('error', onError);
  });
}

/** Who is at the other end of a socket, so that its errors can say so. */
export interface Peer {
  endpoint: RedisEndpoint;
  role: Role;
}

/**
 * Request/response on a socket not yet in pipelined use: for the log-in and
 * the few set-up calls before the data flows. Rejects on a closed socket or timeout;
 * with `peer`, a socket error (e.g. a TLS alert refusing the client) says what it was.
 */
export function request(socket: net.Socket, argv: RespArg[], timeoutMs = 10_000, peer?: Peer): Promise<RespValue> {
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
      reject(peer && err instanceof Error
        ? NetError.fromSocket(err, peer.endpoint, peer.role)
        : new NetError('LINK_BROKEN', `the server closed the connection while answering ${String(argv[0])}`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new NetError('TIMEOUT', `no answer to ${String(argv[0])} within ${Math.round(timeoutMs / 1000)} s`));
    }, timeoutMs);
    socket.on('data', onData);
    socket.once('close', onClose);
    socket.once('error', onClose);
    socket.write(encodeCommand(argv));
  });
}

/** AUTH with `password` or `username password`; a refusal becomes AUTH_FAILED naming the account. */
export async function authenticate(socket: net.Socket, e: RedisEndpoint, role: Role): Promise<void> {
  if (!e.password) return;
  const argv = e.username ? ['AUTH', e.username, e.password] : ['AUTH', e.password];
  const reply = await request(socket, argv, undefined, { endpoint: e, role });
  if (reply instanceof RespErrorReply) {
    const who = e.username ? `the account "${e.username}"` : 'the password';
    throw new NetError('AUTH_FAILED', `the ${role} ${endpointAddress(e)} refused ${who}: ${reply.message}`,
      'check the Database Password (<password> or <user>:<password>)');
  }
}

/**
 * A plain request/response connection for control-plane calls on the data path's
 * own terms (INFO, DBSIZE, SCAN, the heartbeat): one call at a time, typed errors.
 */
export class ControlClient {
  private socket?: net.Socket;
  /** The error that ended the socket between calls (e.g. a TLS alert right after connecting), for the next call to report. */
  private socketError?: Error;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly endpoint: RedisEndpoint, private readonly role: Role, private readonly timeoutMs = 10_000) {}

  async open(): Promise<this> {
    const socket = await openSocket(this.endpoint, { timeoutMs: this.timeoutMs, role: this.role });
    socket.on('error', (err) => { this.socketError ??= err; }); // surfaced by the next call
    try {
      await authenticate(socket, this.endpoint, this.role);
    } catch (err) {
      socket.destroy();
      throw err;
    }
    this.socket = socket;
    return this;
  }

  /** One command; calls are serialized. Error replies are returned, not thrown. */
  call(argv: RespArg[], timeoutMs = this.timeoutMs): Promise<RespValue> {
    const run = async () => {
      if (!this.socket || this.socket.destroyed) {
        if (this.socketError) throw NetError.fromSocket(this.socketError, this.endpoint, this.role);
        throw new NetError('LINK_BROKEN', `the connection to the ${this.role} ${endpointAddress(this.endpoint)} is closed`);
      }
      return request(this.socket, argv, timeoutMs, { endpoint: this.endpoint, role: this.role });
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
