/**
 * Errors of the replica link. Each names the master (host:port) and says what to do.
 */
import { DtsError } from '../errors';
import { looksLikeSettings, type ConnectionFailure } from '../net/failure';

export type LinkErrorCode =
  /** The master refused the credentials (or wants some and none were given). */
  | 'AUTH_FAILED'
  /** The account may not run PSYNC/SYNC, REPLCONF or PING. */
  | 'NOPERM'
  /** Connection refused, host unreachable, name not resolvable. */
  | 'UNREACHABLE'
  /** No connection within the connect timeout, no handshake reply in time, or the master fell silent. */
  | 'TIMEOUT'
  /** TLS handshake or certificate problem, or a TLS/plain-text mismatch. */
  | 'TLS'
  /** The established link broke (reset, closed by the master, CLIENT KILL). */
  | 'LINK_BROKEN'
  /** The master aborted the snapshot (e.g. `-ERR BGSAVE failed`). */
  | 'SYNC_ABORTED'
  /** `-LOADING` / `-NOMASTERLINK`: the master cannot serve a replica yet; retry later. */
  | 'MASTER_NOT_READY'
  /** Another error reply during the handshake (protected mode, max clients, …). */
  | 'REJECTED'
  /** The master sent bytes that do not follow the replication protocol. */
  | 'PROTOCOL'
  /** The consumer fell so far behind that the spool reached its disk bound (or the disk failed). */
  | 'SPOOL_FULL'
  /** `close()` was called while the operation was pending. */
  | 'CLOSED';

/** Codes for which reconnecting later (with PSYNC <replid> <offset+1>) may succeed. */
const RETRYABLE = new Set<LinkErrorCode>(['UNREACHABLE', 'TIMEOUT', 'LINK_BROKEN', 'SYNC_ABORTED', 'MASTER_NOT_READY', 'SPOOL_FULL']);

export class LinkError extends DtsError {
  declare readonly code: LinkErrorCode;
  /** True when a later attempt may succeed without anyone changing a setting. */
  readonly retryable: boolean;

  constructor(code: LinkErrorCode, message: string, hint?: string, options?: { cause?: unknown },
    /** The connection failure it words, when it is one. */
    readonly failure?: ConnectionFailure) {
    super(code, message, hint, options);
    this.retryable = RETRYABLE.has(code);
  }

  /** `retryable`, for a master this link already reached with these settings (see looksLikeSettings). */
  get retryableOnceConnected(): boolean {
    return this.retryable || looksLikeSettings(this.failure);
  }
}
