/**
 * ReplicaLink: connects to a Redis master as a replica (REFERENCE §1) and hands the consumer
 * the snapshot (RDB bytes) and then the command stream with byte-exact replication offsets.
 *
 * Usage:
 *   const link = new ReplicaLink({ host, port, password, spoolDir });
 *   const sync = await link.connect();              // handshake up to +FULLRESYNC / +CONTINUE / SYNC
 *   if (sync.mode !== 'partial') for await (const chunk of link.rdb()) parser.write(chunk);
 *   for await (const { argv, offset } of link.commands()) apply(argv, offset);
 *   await link.close();
 *
 * Behaviour:
 * - Handshake in Redis's order: PING (a `-NOAUTH`/`-NOPERM` reply is accepted, as Redis does),
 *   then AUTH, REPLCONF listening-port and REPLCONF capa eof capa psync2 (pipelined), then
 *   `PSYNC ? -1`, or `PSYNC <replid> <offset+1>` with `resume`. `+CONTINUE [<replid>]` adopts
 *   the new replid. `-ERR` to PSYNC falls back to `SYNC` (mode 'sync': no replid, offsets count
 *   from 0, never ACKs, cannot resume).
 * - The socket is always drained: RDB and stream bytes go through a ByteSpool (memory budget,
 *   then files in `spoolDir`, bounded by `maxSpoolBytes`), so a slow consumer never makes the
 *   master drop us for its output-buffer limit.
 * - Offsets: each command's `offset` is the replication offset right after it:
 *   fullresync offset (or the resumed offset) + stream bytes up to and including it.
 *   Keepalive newlines, the status line and the RDB do not count; PING and REPLCONF GETACK do.
 * - Every command is yielded, including the master's `PING` and `REPLCONF GETACK *`, so that a
 *   consumer's checkpoint advances through idle periods (otherwise, after days of PINGs only,
 *   the saved offset could fall out of the master's backlog). Use `isReplicationControl(argv)`
 *   to skip them when applying.
 * - ACKs report the *received* offset (bytes safely in the spool, as RedisShake does), every
 *   `ackIntervalMs`, right after a diskless RDB (then every 20 ms until the stream starts, at
 *   most 2 s: Redis starts the stream only on an ACK that follows its own detection of the RDB
 *   child's exit), and at once when a `REPLCONF GETACK` arrives
 *   (found by scanning the received bytes, so it is answered even while the consumer is busy).
 *   The checkpoint to resume from is the offset of the last command the consumer applied.
 * - The master is declared dead after `timeoutMs` (60 s) without a byte.
 * - Errors are LinkErrors. After the handshake they are delivered through the iterators, after
 *   every byte received before the failure, so the consumer's offset is exact when it resumes.
 */
import { EventEmitter } from 'node:events';
import type net from 'node:net';
import type { Audience } from '../endpoint';
import { encodeCommand, encodeCommands, type RespArg } from '../resp/encoder';
import { RespParser } from '../resp/parser';
import { RespError, type RespValue } from '../resp/values';
import { classifyFailure, closedFailure, isNoPasswordConfigured, replyFailure, type ConnectionFailure } from '../net/failure';
import { NetError, openSocket, type SocketTarget } from '../net/socket';
import { failureWords } from '../net/wording';
import { LinkError, type LinkErrorCode } from './errors';
import { GetackWatch, ReplicationFramer, type RdbFraming } from './framer';
import { ByteSpool, type SpoolStats } from './spool';

export interface ReplicaTlsOptions {
  /** PEM CA certificate(s) to trust (default: Node's bundled roots). */
  ca?: string | Buffer | Array<string | Buffer>;
  /** PEM client certificate and key, for servers with `tls-auth-clients yes`. */
  cert?: string | Buffer;
  key?: string | Buffer;
  /** Skip certificate verification (explicit opt-in). */
  insecure?: boolean;
  /** SNI / name to verify; default the host when it is a name (IPs are checked against IP SANs). */
  servername?: string;
}

export interface ReplicaLinkOptions {
  host: string;
  port: number;
  /** ACL user (Redis 6+); AUTH <username> <password>. */
  username?: string;
  password?: string;
  tls?: ReplicaTlsOptions;
  /** Who reads the link's failures (see engine/endpoint.ts); default 'cli'. */
  audience?: Audience;
  /** TCP + TLS connect, and each handshake reply (default 10 s). */
  connectTimeoutMs?: number;
  /** Master silence after which the link is declared dead (default 60 s). */
  timeoutMs?: number;
  /** Interval of REPLCONF ACK (default 1 s). */
  ackIntervalMs?: number;
  /** Port announced with REPLCONF listening-port (shown in the master's INFO); default our local port. */
  listeningPort?: number;
  /** Directory for spool files. */
  spoolDir: string;
  /** Bytes of RDB/stream held in memory before spilling to disk (default 64 MB). */
  memoryBudgetBytes?: number;
  /** Hard bound of the spool on disk (default 64 GB); past it the link fails with SPOOL_FULL. */
  maxSpoolBytes?: number;
  /** Resume with PSYNC <replid> <offset+1>; `offset` is the offset of the last command applied. */
  resume?: { replid: string; offset: number };
}

export type SyncMode = 'full' | 'partial' | 'sync';

export interface SyncInfo {
  /** 'full': an RDB follows; 'partial': the stream continues at `offset`; 'sync': legacy SYNC (RDB, no offsets). */
  mode: SyncMode;
  /** The master's replication id (null after SYNC). */
  replid: string | null;
  /** Offset the RDB reflects ('full'), the resumed offset ('partial'), 0 ('sync'). */
  offset: number;
}

export interface RdbInfo {
  kind: 'disk' | 'diskless';
  /** Byte size for disk mode; null for diskless until the end. */
  size: number | null;
}

export interface ReplCommand {
  argv: Buffer[];
  /** Replication offset right after this command. */
  offset: number;
}

export type LinkState = 'new' | 'connecting' | 'handshake' | 'rdb' | 'stream' | 'failed' | 'closed';


/**
 * The version announced with REPLCONF version (Valkey 8+): the newest Valkey whose snapshot
 * format the parser reads whole (VALKEY 80; servers/facts.ts).
 */
export const ANNOUNCED_VERSION = '9.0.0';

/** True for the master's PING and REPLCONF (GETACK) — counted in offsets, never to be applied. */
export function isReplicationControl(argv: Buffer[]): boolean {
  const name = argv[0];
  if (name === undefined) return false;
  if (name.length === 4) return name.toString('latin1').toUpperCase() === 'PING';
  if (name.length === 8) return name.toString('latin1').toUpperCase() === 'REPLCONF';
  return false;
}


interface Waiter {
  resolve(line: string): void;
  reject(err: LinkError): void;
}

export class ReplicaLink extends EventEmitter {
  /** `host:port` as used in messages. */
  readonly address: string;
  private readonly opts: ReplicaLinkOptions;
  /** The master as the connection opener and the failure wording see it. */
  private readonly target: SocketTarget;
  /** Aborts a connection still being opened when the link is closed. */
  private readonly opening = new AbortController();
  private readonly spool: ByteSpool;
  private readonly framer: ReplicationFramer;

  private socket: net.Socket | null = null;
  private _state: LinkState = 'new';
  private failure: LinkError | null = null;
  private closePromise: Promise<void> | null = null;
  private bytesIn = 0;

  private waiters: Waiter[] = [];
  private lines: string[] = [];
  private replyTimer: NodeJS.Timeout | null = null;
  private replyWhat = '';
  private expectPsync = false;
  private rdbHeaderWaiter: Waiter | null = null;

  private info: SyncInfo | null = null;
  private _replid: string | null = null;
  private legacySync = false;
  private baseOffset = 0;
  /** Stream bytes received (socket side). */
  private streamIn = 0;
  private _rdb: RdbInfo | null = null;
  /** RDB bytes received; the RDB's total once known (-1 before). */
  private rdbIn = 0;
  private rdbLength = -1;

  private readonly getack = new GetackWatch();
  private _ackedOffset = -1;
  private ackTimer: NodeJS.Timeout | null = null;
  private startupAckTimer: NodeJS.Timeout | null = null;
  private watchdog: NodeJS.Timeout | null = null;
  private lastRx = 0;

  // Consumer side.
  private readerActive = false;
  private held: Buffer | null = null;
  private rdbOut = 0;
  private parser: RespParser | null = null;
  private parsedOffset = 0;
  private queue: ReplCommand[] = [];
  private queueHead = 0;
  private _deliveredOffset = 0;

  constructor(opts: ReplicaLinkOptions) {
    super();
    this.opts = opts;
    this.address = `${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${opts.port}`;
    this.target = { host: opts.host, port: opts.port, username: opts.username, tls: opts.tls, audience: opts.audience };
    this.spool = new ByteSpool({
      dir: opts.spoolDir,
      memoryBytes: opts.memoryBudgetBytes ?? 64 * 1024 * 1024,
      maxDiskBytes: opts.maxSpoolBytes ?? 64 * 1024 ** 3,
      label: `replica-${opts.host}-${opts.port}`,
    });
    this.framer = new ReplicationFramer({
      line: (line) => this.onLine(line),
      rdbStart: (f) => this.onRdbStart(f),
      rdbData: (chunk) => {
        this.rdbIn += chunk.length;
        this.spool.push(chunk);
      },
      rdbEnd: () => this.onRdbEnd(),
      rdbError: (line) => this.onRdbError(line),
      stream: (chunk) => this.onStream(chunk),
    });
  }

  get state(): LinkState {
    return this._state;
  }
  private isClosed(): boolean {
    return this._state === 'closed';
  }
  /** The master's replication id (adopted from `+CONTINUE <replid>`); null before the handshake and after SYNC. */
  get replid(): string | null {
    return this._replid;
  }
  /** Offset of the bytes received from the master so far (what ACKs report). */
  get receivedOffset(): number {
    return this.baseOffset + this.streamIn;
  }
  /**
   * Offset right after the last command handed to the consumer (for `commandBatches()`, the
   * last command of the last batch): the checkpoint to resume from once those are applied.
   */
  get deliveredOffset(): number {
    return this._deliveredOffset;
  }
  /** The last offset sent in a REPLCONF ACK (-1 before the first). */
  get ackedOffset(): number {
    return this._ackedOffset;
  }
  /** False after a SYNC fallback: such a link has no replid/offset to resume from. */
  get canResume(): boolean {
    return !this.legacySync && this._replid !== null;
  }
  get rdbInfo(): RdbInfo | null {
    return this._rdb;
  }
  get error(): LinkError | null {
    return this.failure;
  }
  spoolStats(): SpoolStats {
    return this.spool.stats();
  }

  // ---------------------------------------------------------------- connection and handshake

  /** Connects and runs the handshake; resolves when the sync mode is known. Rejects with a LinkError. */
  async connect(): Promise<SyncInfo> {
    if (this._state !== 'new') throw new Error('ReplicaLink.connect() may be called once');
    this._state = 'connecting';
    try {
      await this.openSocket();
      this._state = 'handshake';
      return await this.handshake();
    } catch (err) {
      const e = err instanceof LinkError ? err : this.linkError('PROTOCOL', `Handshake with ${this.address} failed: ${(err as Error).message}`, undefined, err);
      if (this.isClosed()) throw this.closedError();
      this.fail(e);
      throw this.failure ?? e;
    }
  }

  private async openSocket(): Promise<void> {
    let socket: net.Socket;
    try {
      socket = await openSocket(this.target, {
        timeoutMs: this.opts.connectTimeoutMs ?? 10_000, role: 'source', noDelay: true, signal: this.opening.signal,
      });
    } catch (err) {
      if (this.isClosed()) throw this.closedError();
      const e = err as NetError;
      throw new LinkError(e.netCode, e.message, e.hint, { cause: e.cause ?? e }, e.failure);
    }
    if (this.isClosed()) {
      socket.destroy();
      throw this.closedError();
    }
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.fail(this.mapSocketError(err)));
    socket.on('close', () => this.onSocketClose());
  }

  private async handshake(): Promise<SyncInfo> {
    const a = this.address;
    this.send(['PING']);
    const pong = await this.reply('PING');
    if (pong[0] === '-') {
      const code = errorCode(pong);
      if (code === 'NOAUTH' && !this.opts.password) throw this.failed({ kind: 'password-required' });
      if (code === 'LOADING' || code === 'MASTERDOWN') throw this.notReady(pong);
      if (code !== 'NOAUTH' && code !== 'NOPERM') throw this.rejected(pong);
    }

    const cmds: RespArg[][] = [];
    if (this.opts.password !== undefined) {
      cmds.push(this.opts.username ? ['AUTH', this.opts.username, this.opts.password] : ['AUTH', this.opts.password]);
    }
    cmds.push(['REPLCONF', 'listening-port', this.opts.listeningPort ?? this.socket?.localPort ?? 0]);
    cmds.push(['REPLCONF', 'capa', 'eof', 'capa', 'psync2']);
    // Valkey 9 sends its own RDB format (VALKEY 80, hash-field TTLs) only to a replica that says it
    // is 9.0 or newer; to others REDIS 11, failing the transfer on a hash with field TTLs. Redis
    // answers an error, which is harmless (below).
    cmds.push(['REPLCONF', 'version', ANNOUNCED_VERSION]);
    this.write(encodeCommands(cmds));
    if (this.opts.password !== undefined) {
      const auth = await this.reply('AUTH');
      if (auth[0] === '-' && !isNoPasswordConfigured(auth)) {
        throw this.failed(replyFailure(auth, 'replicate') ?? { kind: 'wrong-password', reply: auth.slice(1) });
      }
    }
    for (let i = 0; i < 3; i++) {
      const r = await this.reply('REPLCONF');
      if (r[0] !== '-') continue;
      const code = errorCode(r);
      if (code === 'NOPERM' || code === 'NOAUTH') throw this.failed(replyFailure(r, 'replicate')!);
      // Other REPLCONF errors are harmless (an old master without the option).
    }

    const resume = this.opts.resume;
    this.expectPsync = true;
    this.framer.expectPsyncReply();
    this.send(resume ? ['PSYNC', resume.replid, resume.offset + 1] : ['PSYNC', '?', -1]);
    const status = await this.reply('PSYNC');
    if (this.info !== null) return this.info; // +FULLRESYNC / +CONTINUE, applied synchronously in onLine
    if (status[0] === '+') throw this.linkError('PROTOCOL', `${a} answered PSYNC with an unexpected status "${status.slice(0, 80)}"`);
    const code = errorCode(status);
    if (code === 'NOMASTERLINK' || code === 'LOADING' || code === 'MASTERDOWN') throw this.notReady(status);
    if (code === 'NOPERM' || code === 'NOAUTH') throw this.failed(replyFailure(status, 'replicate')!);

    // A master without PSYNC (< 2.8): SYNC, no replid, no offsets, no ACKs.
    this.legacySync = true;
    this.baseOffset = 0;
    this.parsedOffset = 0;
    this._deliveredOffset = 0;
    this.framer.expectRdb();
    this.send(['SYNC']);
    this._state = 'rdb';
    this.startWatchdog();
    await new Promise<string>((resolve, reject) => {
      this.rdbHeaderWaiter = { resolve, reject };
    });
    this.info = { mode: 'sync', replid: null, offset: 0 };
    return this.info;
  }

  /** Next reply line; fails after `connectTimeoutMs` without any byte from the server. */
  private reply(what: string): Promise<string> {
    const queued = this.lines.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.failure) return Promise.reject(this.failure);
    if (this._state === 'closed') return Promise.reject(this.closedError());
    const ms = this.opts.connectTimeoutMs ?? 10_000;
    return new Promise<string>((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      this.armReplyTimer(what, ms);
    });
  }

  /**
   * Fails the link when nothing at all arrives for `ms` while a reply is awaited. Any byte
   * re-arms it: a master delaying a diskless sync (`repl-diskless-sync-delay`) answers PSYNC
   * only when its BGSAVE starts, sending `\n` keepalives meanwhile.
   */
  private armReplyTimer(what: string, ms: number): void {
    if (this.replyTimer) clearTimeout(this.replyTimer);
    this.replyWhat = what;
    this.replyTimer = setTimeout(() => {
      this.fail(this.failed({ kind: 'reply-timeout', command: what, ms, silent: this.bytesIn === 0 }));
    }, ms);
  }

  private onLine(line: string): void {
    if (line[0] !== '+' && line[0] !== '-') {
      // Not a RESP status or error: an HTTP proxy, SSH, a TLS port read as text, ...
      const shown = line.slice(0, 60).replace(/[^\x20-\x7e]/g, '.');
      throw new LinkError('PROTOCOL', `${this.address} does not speak the Redis protocol: it answered "${shown}"`,
        'check the port (and whether the endpoint needs TLS or sits behind a proxy that blocks replication)');
    }
    if (this.expectPsync) {
      this.expectPsync = false;
      this.applyPsyncStatus(line);
    }
    const w = this.waiters.shift();
    if (this.waiters.length === 0 && this.replyTimer) {
      clearTimeout(this.replyTimer);
      this.replyTimer = null;
    }
    if (w) w.resolve(line);
    else this.lines.push(line);
  }

  /** Runs synchronously inside the framer, before any RDB or stream byte of the same read is handled. */
  private applyPsyncStatus(line: string): void {
    const parts = line.split(' ');
    if (parts[0] === '+FULLRESYNC') {
      const replid = parts[1] ?? '';
      const offset = Number(parts[2]);
      if (!/^[0-9a-f]{40}$/i.test(replid) || !Number.isSafeInteger(offset) || offset < 0) {
        throw new RespError('RESP_PROTOCOL', `malformed +FULLRESYNC status "${line.slice(0, 120)}"`);
      }
      this._replid = replid;
      this.baseOffset = offset;
      this.parsedOffset = offset;
      this._deliveredOffset = offset;
      this._state = 'rdb';
      this.info = { mode: 'full', replid, offset };
      this.startWatchdog();
    } else if (parts[0] === '+CONTINUE') {
      const resume = this.opts.resume;
      if (!resume) throw new RespError('RESP_PROTOCOL', 'the master answered +CONTINUE to PSYNC ? -1');
      this._replid = parts[1] && /^[0-9a-f]{40}$/i.test(parts[1]) ? parts[1] : resume.replid;
      this.baseOffset = resume.offset;
      this.parsedOffset = resume.offset;
      this._deliveredOffset = resume.offset;
      this.rdbLength = 0;
      this._state = 'stream';
      this.info = { mode: 'partial', replid: this._replid, offset: resume.offset };
      this.startWatchdog();
      this.startAcks();
    }
  }

  // ---------------------------------------------------------------- socket side

  private onData(chunk: Buffer): void {
    this.lastRx = Date.now();
    this.bytesIn += chunk.length;
    if (this.replyTimer) this.armReplyTimer(this.replyWhat, this.opts.connectTimeoutMs ?? 10_000);
    if (this._state === 'closed' || this._state === 'failed') return;
    try {
      this.framer.push(chunk);
    } catch (err) {
      this.fail(this.toLinkError(err));
    }
  }

  private onRdbStart(f: RdbFraming): void {
    this._rdb = { kind: f.kind, size: f.kind === 'disk' ? f.size : null };
    if (f.kind === 'disk') this.rdbLength = f.size;
    this.emit('rdb-start', this._rdb);
    const w = this.rdbHeaderWaiter;
    this.rdbHeaderWaiter = null;
    w?.resolve('$');
  }

  private onRdbEnd(): void {
    this.rdbLength = this.rdbIn;
    if (this._rdb) this._rdb.size = this.rdbIn;
    this._state = 'stream';
    if (!this.legacySync) {
      this.startAcks();
      if (this._rdb?.kind === 'diskless') {
        // The master starts streaming only on an ACK it receives after it has noticed its RDB
        // child exit (an earlier one is ignored), and buffers writes for us until then. So ACK
        // now, then every 20 ms until the first stream byte arrives (at most 2 s), to keep that
        // window, which a write burst could fill up to the output-buffer limit, short.
        this.sendAck();
        const until = Date.now() + 2000;
        this.startupAckTimer = setInterval(() => {
          if (this.streamIn > 0 || Date.now() > until) {
            clearInterval(this.startupAckTimer!);
            this.startupAckTimer = null;
            return;
          }
          this.sendAck();
        }, 20);
        this.startupAckTimer.unref();
      }
    }
    this.spool.interrupt();
    this.emit('rdb-end', { bytes: this.rdbIn });
  }

  private onRdbError(reply: string): void {
    const code = errorCode('-' + reply);
    const e = code === 'NOPERM'
      ? this.failed({ kind: 'noperm', reply, purpose: 'replicate' })
      : this.linkError('SYNC_ABORTED', `${this.address} aborted the snapshot transfer: ${reply}`,
        'see the source\'s log (a failed BGSAVE is usually disk space or fork memory); the sync can be retried');
    this.fail(e);
  }

  private onStream(chunk: Buffer): void {
    this.spool.push(chunk);
    this.streamIn += chunk.length;
    if (!this.legacySync && this.getack.push(chunk)) this.sendAck();
  }

  private sendAck(): void {
    if (this.legacySync || !this.socket || this.socket.destroyed) return;
    const offset = this.receivedOffset;
    this.write(encodeCommand(['REPLCONF', 'ACK', offset]));
    this._ackedOffset = offset;
  }

  private startAcks(): void {
    if (this.ackTimer || this.legacySync) return;
    this.ackTimer = setInterval(() => this.sendAck(), this.opts.ackIntervalMs ?? 1000);
    this.ackTimer.unref();
  }

  private startWatchdog(): void {
    if (this.replyTimer) {
      clearTimeout(this.replyTimer);
      this.replyTimer = null;
    }
    if (this.watchdog) return;
    const timeoutMs = this.opts.timeoutMs ?? 60_000;
    this.lastRx = Date.now();
    this.watchdog = setInterval(() => {
      const silent = Date.now() - this.lastRx;
      if (silent > timeoutMs) {
        this.fail(this.linkError('TIMEOUT', `${this.address} sent nothing for ${(silent / 1000).toFixed(1)} s; the master is considered dead`,
          'check the source server and the network; the link can be resumed with a partial resync'));
      }
    }, Math.max(10, Math.min(1000, timeoutMs / 4)));
    this.watchdog.unref();
  }

  private send(argv: RespArg[]): void {
    this.write(encodeCommand(argv));
  }

  private write(buf: Buffer): void {
    const s = this.socket;
    if (s && !s.destroyed && s.writable) s.write(buf);
  }

  private onSocketClose(): void {
    if (this._state === 'closed' || this.failure) return;
    if (this._state === 'handshake' && this.bytesIn === 0) {
      this.fail(this.failed(closedFailure({ tls: this.opts.tls !== undefined, stage: 'login' })));
      return;
    }
    const where = this._state === 'handshake' ? 'during the handshake' : this._state === 'rdb' ? 'during the snapshot transfer' : 'during the command stream';
    this.fail(this.linkError('LINK_BROKEN', `${this.address} closed the replication connection ${where}`,
      this.canResume ? 'reconnect with PSYNC <replid> <offset+1> to continue with a partial resync' : 'reconnect to start again'));
  }

  /**
   * A socket error once connected. During the handshake it says why the master refuses us
   * (a TLS alert, a TLS / plain-text mismatch); once data flows, a break is resumable.
   */
  private mapSocketError(err: Error): LinkError {
    const handshake = this._state === 'handshake';
    const failure = classifyFailure(err, {
      tls: this.opts.tls !== undefined, stage: handshake && this.bytesIn === 0 ? 'login' : 'use', purpose: 'replicate',
    });
    if (handshake || (failure.kind !== 'closed' && failure.kind !== 'other')) return this.failed(failure, err);
    return this.linkError('LINK_BROKEN', `The replication link to ${this.address} broke: ${err.message}`,
      'reconnect with PSYNC <replid> <offset+1> to continue with a partial resync', err);
  }

  /** A connection failure in the one vocabulary of net/wording.ts, for the link's reader. */
  private failed(failure: ConnectionFailure, cause?: unknown): LinkError {
    const words = failureWords(failure, { endpoint: this.target, role: 'source' });
    return new LinkError(words.code, words.message, words.hint, cause === undefined ? undefined : { cause }, failure);
  }

  private toLinkError(err: unknown): LinkError {
    if (err instanceof LinkError) return err;
    if (err instanceof RespError) {
      return this.linkError('PROTOCOL', `Unexpected data from ${this.address}: ${err.message}`, err.hint, err);
    }
    return this.linkError('PROTOCOL', `Replication from ${this.address} failed: ${(err as Error)?.message ?? String(err)}`, undefined, err);
  }

  private linkError(code: LinkErrorCode, message: string, hint?: string, cause?: unknown): LinkError {
    return new LinkError(code, message, hint, cause === undefined ? undefined : { cause });
  }

  private closedError(): LinkError {
    return this.linkError('CLOSED', `The replication link to ${this.address} was closed`);
  }

  private notReady(reply: string): LinkError {
    return this.linkError('MASTER_NOT_READY', `${this.address} cannot serve a replica yet: ${reply.slice(1)}`,
      'it is loading its data or has no link to its own master; retry in a few seconds');
  }

  private rejected(reply: string): LinkError {
    return this.linkError('REJECTED', `${this.address} refused the replica: ${reply.slice(1)}`,
      'see the reply: protected mode, client limit or a proxy that does not allow replication');
  }

  /** Records the first failure, tears the socket down, and queues the error after the spooled bytes. */
  private fail(err: LinkError): void {
    if (this.failure || this._state === 'closed') return;
    this.failure = err;
    this._state = 'failed';
    this.stopTimers();
    this.socket?.destroy();
    for (const w of this.waiters.splice(0)) w.reject(err);
    const hw = this.rdbHeaderWaiter;
    this.rdbHeaderWaiter = null;
    hw?.reject(err);
    this.spool.end(err);
    this.emit('failed', err);
  }

  private stopTimers(): void {
    for (const t of [this.replyTimer, this.ackTimer, this.startupAckTimer, this.watchdog]) if (t) clearTimeout(t);
    this.replyTimer = this.ackTimer = this.startupAckTimer = this.watchdog = null;
  }

  /** Closes the socket, deletes the spool, ends the iterators. Idempotent. */
  close(): Promise<void> {
    if (this.closePromise) return this.closePromise;
    this._state = 'closed';
    this.opening.abort();
    this.stopTimers();
    const closed = this.closedError();
    for (const w of this.waiters.splice(0)) w.reject(closed);
    const hw = this.rdbHeaderWaiter;
    this.rdbHeaderWaiter = null;
    hw?.reject(closed);
    this.spool.close();
    const s = this.socket;
    this.closePromise = new Promise<void>((resolve) => {
      if (!s || s.closed) return resolve();
      s.once('close', () => resolve());
      s.destroy();
    });
    return this.closePromise;
  }

  // ---------------------------------------------------------------- consumer side

  private acquire(): void {
    if (this.info === null) throw new Error('ReplicaLink: connect() must resolve before reading');
    if (this.readerActive) throw new Error('ReplicaLink: only one iterator may read at a time');
    this.readerActive = true;
  }

  private async nextChunk(): Promise<Buffer | null> {
    const h = this.held;
    if (h !== null) {
      this.held = null;
      return h;
    }
    return this.spool.read();
  }

  private rdbDone(): boolean {
    return this.rdbLength >= 0 && this.rdbOut >= this.rdbLength;
  }

  /**
   * The RDB bytes, in order, as they arrive (disk or diskless framing removed). Ends after the
   * last byte; empty after a partial resync. Throws the LinkError if the link fails first.
   */
  async *rdb(): AsyncGenerator<Buffer, void, undefined> {
    this.acquire();
    try {
      yield* this.rdbChunks();
    } finally {
      this.readerActive = false;
    }
  }

  private async *rdbChunks(): AsyncGenerator<Buffer, void, undefined> {
    for (;;) {
      if (this.rdbDone()) return;
      let chunk = await this.nextChunk();
      if (chunk === null) return;
      if (chunk.length === 0) continue; // interrupt(): the RDB may just have ended
      if (this.rdbLength >= 0) {
        const rest = this.rdbLength - this.rdbOut;
        if (chunk.length > rest) {
          this.held = chunk.subarray(rest);
          chunk = chunk.subarray(0, rest);
        }
      }
      this.rdbOut += chunk.length;
      if (chunk.length > 0) yield chunk;
    }
  }

  /** Parses the next stream bytes into commands; null once the link is closed. */
  private async nextBatch(): Promise<ReplCommand[] | null> {
    if (!this.rdbDone()) {
      // The consumer skipped (the rest of) the snapshot.
      for await (const chunk of this.rdbChunks()) void chunk;
      if (!this.rdbDone()) return null;
    }
    const parser = (this.parser ??= new RespParser());
    for (;;) {
      const chunk = await this.nextChunk();
      if (chunk === null) return null;
      if (chunk.length === 0) continue;
      const batch: ReplCommand[] = [];
      try {
        parser.execute(chunk, (value, bytes) => {
          this.parsedOffset += bytes;
          batch.push({ argv: asCommand(value), offset: this.parsedOffset });
        });
      } catch (err) {
        const e = this.toLinkError(err);
        this.fail(e);
        throw e;
      }
      if (batch.length > 0) return batch;
    }
  }

  /** Commands in batches (one per chunk read), for consumers that pipeline. */
  async *commandBatches(): AsyncGenerator<ReplCommand[], void, undefined> {
    this.acquire();
    try {
      if (this.queueHead < this.queue.length) {
        const rest = this.queue.slice(this.queueHead);
        this.queue = [];
        this.queueHead = 0;
        this._deliveredOffset = rest[rest.length - 1]!.offset;
        yield rest;
      }
      for (;;) {
        const batch = await this.nextBatch();
        if (batch === null) return;
        this._deliveredOffset = batch[batch.length - 1]!.offset;
        yield batch;
      }
    } finally {
      this.readerActive = false;
    }
  }

  /** The command stream, one command at a time, each with the offset right after it. */
  async *commands(): AsyncGenerator<ReplCommand, void, undefined> {
    this.acquire();
    try {
      for (;;) {
        while (this.queueHead < this.queue.length) {
          const cmd = this.queue[this.queueHead++]!;
          this._deliveredOffset = cmd.offset;
          yield cmd;
        }
        const batch = await this.nextBatch();
        if (batch === null) return;
        this.queue = batch;
        this.queueHead = 0;
      }
    } finally {
      this.readerActive = false;
    }
  }
}

function errorCode(line: string): string {
  const s = line[0] === '-' ? line.slice(1) : line;
  const sp = s.indexOf(' ');
  return (sp < 0 ? s : s.slice(0, sp)).toUpperCase();
}

function asCommand(value: RespValue): Buffer[] {
  if (Array.isArray(value) && value.length > 0 && value.every((v) => Buffer.isBuffer(v))) return value as Buffer[];
  const shown = Buffer.isBuffer(value) ? value.toString('latin1', 0, 40) : JSON.stringify(value)?.slice(0, 80);
  throw new RespError('RESP_PROTOCOL', `the replication stream holds a value that is not a command: ${shown}`);
}
