/**
 * What went wrong with a connection to a Redis, classified once from what Node, OpenSSL or the
 * server said: the one classification every opener shares (the replica link, the writer's
 * connections, control clients, the precheck's probes, Test Connection). `wording.ts` words it
 * for whoever reads it; this file only decides what it is.
 */

/** Why the server's certificate was refused: no trusted issuer, another host's, or out of its validity dates. */
export type CertificateProblem = 'untrusted' | 'hostname' | 'validity';

/** Why the server refused this client on TLS: it presented no certificate, or one the server does not accept. */
export type ClientCertificateProblem = 'required' | 'rejected';

/** What the account must be allowed to do on this connection (for a NOPERM reply's hint). */
export type AccessPurpose = 'basic' | 'replicate' | 'verify';

export type ConnectionFailure =
  /** Nothing listens on the port (ECONNREFUSED). */
  | { kind: 'refused' }
  /** No route to the host (EHOSTUNREACH, ENETUNREACH, …). */
  | { kind: 'unreachable'; errno: string }
  /** The host name does not resolve. */
  | { kind: 'dns'; errno: string }
  /** No connection within the connect timeout. */
  | { kind: 'connect-timeout'; ms?: number }
  /** Connected but no reply in time; `silent`: not a byte came on this connection yet. */
  | { kind: 'reply-timeout'; command?: string; ms?: number; silent: boolean }
  /** This side speaks TLS and the port does not: the handshake failed (`reason`) or never completed (`ms`). */
  | { kind: 'tls-to-plain'; reason?: string; ms?: number }
  /** This side speaks plain text and the port closed the connection without a reply: it expects TLS. */
  | { kind: 'plain-to-tls' }
  /** A TLS connection closed before any reply: the port may not speak TLS, or a client certificate was refused. */
  | { kind: 'tls-closed'; errno?: string }
  /** The server's certificate failed verification. */
  | { kind: 'certificate'; problem: CertificateProblem; reason: string }
  /** The server refused this client for its certificate or the lack of one. */
  | { kind: 'client-certificate'; problem: ClientCertificateProblem; reason: string }
  /** The TLS settings themselves cannot be used (not PEM, a key of another certificate, …). */
  | { kind: 'tls-settings'; reason: string }
  /** Any other TLS failure. */
  | { kind: 'tls'; reason: string }
  | { kind: 'wrong-password'; reply: string }
  | { kind: 'password-required' }
  /** A user name given to a server older than Redis 6. */
  | { kind: 'no-acl' }
  | { kind: 'noperm'; reply: string; purpose: AccessPurpose }
  /** The server closed or reset a connection that had been answering (`during`: the command waited for). */
  | { kind: 'closed'; errno?: string; during?: string }
  | { kind: 'other'; detail: string };

/** How far the connection got when it failed. */
export interface FailureContext {
  /** Whether this side speaks TLS. */
  tls: boolean;
  /** 'connect': no connection yet; 'login': connected, nothing answered yet; 'use': the server has answered. */
  stage: 'connect' | 'login' | 'use';
  /** What the account needs here, for a NOPERM reply (default 'basic'). */
  purpose?: AccessPurpose;
  /** The command whose reply was awaited, for timeouts and closes. */
  command?: string;
}

const UNREACHABLE = new Set(['EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN', 'EADDRNOTAVAIL']);
const DNS = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NONAME', 'EAI_NODATA']);
const TLS_CODE = /SSL|TLS|CERT|SIGNATURE|ISSUER|HOSTNAME|SELF_SIGNED|UNABLE_TO_VERIFY/;
const TLS_MESSAGE = /SSL|TLS|certificate|wrong version number|handshake/i;
/** What a TLS client meets when the port answers in plain text (or not at all) instead of TLS. */
const NOT_TLS = /wrong version number|packet length too long|unknown protocol|http request|record layer failure|socket disconnected before secure TLS/i;
/** A connection closed under a client: Node's errno, or what ioredis makes of it. */
const CLOSED = /Connection is closed|socket hang up|Stream isn't writeable/i;
/** ioredis reading bytes that are not RESP, e.g. a TLS alert sent to a plain-text client. */
const NOT_RESP = /Protocol error/i;

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

/** OpenSSL's reason ("tlsv13 alert certificate required") out of its long message, or the message. */
export function tlsReason(message: string): string {
  return /SSL routines:[^:]*:([^:]+)/.exec(message)?.[1]?.trim() ?? message.trim();
}

function errnoOf(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * The server refusing this client for its certificate (or its absence), from the alert it sent;
 * undefined for any other error.
 */
export function clientCertificateFailure(err: unknown): Extract<ConnectionFailure, { kind: 'client-certificate' }> | undefined {
  const problem = CLIENT_CERTIFICATE_ALERTS[errnoOf(err)];
  return problem ? { kind: 'client-certificate', problem, reason: tlsReason(messageOf(err) || errnoOf(err)) } : undefined;
}

/** A failed verification of the server's certificate (not a TLS / plain-text mismatch); undefined for any other error. */
function certificateFailure(err: unknown): Extract<ConnectionFailure, { kind: 'certificate' }> | undefined {
  const code = errnoOf(err);
  const problem = CERTIFICATE_CODES[code];
  if (!problem) return undefined;
  // Node puts the useful part of a host name mismatch ("IP: 127.0.0.1 is not in the cert's list") in `reason`.
  const nodeReason = (err as { reason?: unknown }).reason;
  const reason = problem === 'hostname' && typeof nodeReason === 'string' ? nodeReason.replace(/[:\s]+$/, '') : tlsReason(messageOf(err) || code);
  return { kind: 'certificate', problem, reason };
}

/**
 * What an error reply to AUTH or a first command means for the connection (wrong password,
 * none given, no ACL users before Redis 6, NOPERM); undefined when it is none of those.
 */
export function replyFailure(reply: string, purpose: AccessPurpose = 'basic'): ConnectionFailure | undefined {
  const text = reply.replace(/^-/, '');
  if (/WRONGPASS|invalid password|invalid username-password/i.test(text)) return { kind: 'wrong-password', reply: text };
  if (/NOAUTH|Authentication required/i.test(text)) return { kind: 'password-required' };
  if (/^NOPERM/i.test(text)) return { kind: 'noperm', reply: text, purpose };
  if (/ERR.*(AUTH.*wrong number|wrong number of arguments for 'auth'|unknown command 'AUTH')/i.test(text)) return { kind: 'no-acl' };
  return undefined;
}

/**
 * Whether an error reply to AUTH only says the server has no password: Redis then lets the
 * client in (and ioredis only warns), so every connection goes on as the precheck does.
 */
export function isNoPasswordConfigured(reply: string): boolean {
  return /without any password configured|no password is set/i.test(reply);
}

/** Classifies what a socket, TLS or a client library threw. */
export function classifyFailure(err: unknown, at: FailureContext): ConnectionFailure {
  const code = errnoOf(err);
  const message = messageOf(err);
  const refusal = replyFailure(message, at.purpose);
  if (refusal) return refusal;
  if (code === 'ECONNREFUSED') return { kind: 'refused' };
  if (UNREACHABLE.has(code)) return { kind: 'unreachable', errno: code };
  if (DNS.has(code)) return { kind: 'dns', errno: code };
  if (code === 'ETIMEDOUT' || /timed? ?out/i.test(message)) {
    return at.stage === 'connect' ? { kind: 'connect-timeout' } : { kind: 'reply-timeout', command: at.command, silent: at.stage === 'login' };
  }
  const closed = code === 'ECONNRESET' || code === 'EPIPE' || CLOSED.test(message);
  if (at.tls) {
    const client = clientCertificateFailure(err);
    if (client) return client;
    const certificate = certificateFailure(err);
    if (certificate) return certificate;
    const tlsLike = code === 'EPROTO' || TLS_CODE.test(code) || TLS_MESSAGE.test(message);
    if (NOT_TLS.test(message) || (at.stage === 'connect' && closed)) return { kind: 'tls-to-plain', reason: tlsReason(message) };
    if (tlsLike) return { kind: 'tls', reason: tlsReason(message) };
  } else if (NOT_RESP.test(message) && at.stage !== 'use') {
    return { kind: 'plain-to-tls' };
  } else if (code === 'EPROTO' || TLS_CODE.test(code)) {
    return { kind: 'tls', reason: tlsReason(message) };
  }
  if (closed) return closedFailure(at, code || undefined);
  return { kind: 'other', detail: message };
}

/**
 * A connection the server closed (or reset, `errno`). Before any reply that is the mark of a
 * TLS / plain-text mismatch: Redis's TLS port drops a plain-text client without a byte.
 */
export function closedFailure(at: FailureContext, errno?: string): ConnectionFailure {
  if (at.stage !== 'use') return at.tls ? { kind: 'tls-closed', errno } : { kind: 'plain-to-tls' };
  return { kind: 'closed', errno, during: at.command };
}

/**
 * Failures that a first connection takes for wrong settings (a TLS mismatch, a port that
 * accepts and never answers) but that, on an endpoint which already worked with the same
 * settings, can only be the network or a restart: worth retrying then.
 */
export function looksLikeSettings(failure: ConnectionFailure | undefined): boolean {
  if (!failure) return false;
  return failure.kind === 'plain-to-tls' || failure.kind === 'tls-to-plain' || failure.kind === 'tls-closed'
    || (failure.kind === 'reply-timeout' && failure.silent);
}
