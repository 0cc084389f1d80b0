/**
 * What kind of failure a socket error is, from its errno / OpenSSL code: the one
 * classification the engine's connections share (the destination writer and
 * control calls, the replica link, the precheck), each wording it for its context.
 */
export type SocketFailureKind =
  /** Refused, host or network unreachable: nothing answers at that address. */
  | 'unreachable'
  /** The host name does not resolve. */
  | 'dns'
  | 'timeout'
  /** TLS handshake or certificate problem. */
  | 'tls'
  /** The peer reset or closed the connection. */
  | 'reset'
  | 'other';

const UNREACHABLE = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN', 'EADDRNOTAVAIL']);
const DNS = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NONAME', 'EAI_NODATA']);
const TLS_CODE = /SSL|TLS|CERT|SIGNATURE|ISSUER|HOSTNAME|SELF_SIGNED|UNABLE_TO_VERIFY/;
const TLS_MESSAGE = /SSL|TLS|certificate|wrong version number|handshake/i;

export function socketFailureKind(err: { code?: unknown; message?: string }): SocketFailureKind {
  const code = typeof err.code === 'string' ? err.code : '';
  if (UNREACHABLE.has(code)) return 'unreachable';
  if (DNS.has(code)) return 'dns';
  if (code === 'ETIMEDOUT') return 'timeout';
  if (code === 'EPROTO' || TLS_CODE.test(code) || TLS_MESSAGE.test(err.message ?? '')) return 'tls';
  if (code === 'ECONNRESET' || code === 'EPIPE') return 'reset';
  return 'other';
}

/** OpenSSL's reason ("tlsv13 alert certificate required") out of its long message, or the message. */
export function tlsReason(message: string): string {
  return /SSL routines:[^:]*:([^:]+)/.exec(message)?.[1]?.trim() ?? message.trim();
}
