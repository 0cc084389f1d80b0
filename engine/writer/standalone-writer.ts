/**
 * Writes to a standalone destination: pipelined over one connection with a
 * bounded in-flight window, every reply checked, DB switches tracked, and a
 * checkpoint that only moves once the destination has answered everything up to
 * a source offset. A broken link or a transient error reply (LOADING, BUSY, …)
 * reconnects and resends everything not yet answered, from the start of its
 * MULTI block, for as long as the task's retry time allows.
 */
import { commandInfo, commandKeys, replaySafe } from '../commands/table';
import { endpointAddress, type RedisEndpoint } from '../endpoint';
import { describeError } from '../errors';
import { NetError } from '../net/socket';
import { argvBuffers, RespErrorReply, type RespArg, type RespValue } from '../resp';
import { capabilitiesOf, parseVersion, type DestinationCapabilities } from './capabilities';
import { PipelinedConnection } from './connection';
import { isTransientReply, rejectedWrite, WriterError } from './errors';
import { WriteThrottle } from './rate-limiter';

export interface WriterOptions {
  /** Max commands per second (the link spec); 0 = unlimited. */
  rps?: number;
  /** Max bytes of commands per second; 0 = unlimited. */
  bytesPerSecond?: number;
  /** How long to keep retrying a broken or unreachable destination. */
  connectionRetryMs?: number;
  /** How long to keep retrying transient error replies (LOADING, BUSY, …). */
  otherRetryMs?: number;
  maxInFlight?: number;
  maxInFlightBytes?: number;
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
  /**
   * After a broken connection, the keys of commands sent again that the destination may
   * already have run and that do not give the same result twice (see `replaySafe`): they
   * may now differ from the source and should be verified. `db` is the destination DB.
   */
  onReplayed?: (keys: { db: number; key: Buffer }[]) => void;
}

/** A point in the source's replication stream: the offset and the source DB selected there. */
export interface StreamPosition {
  offset: number;
  db: number;
}

interface Op {
  argv: RespArg[];
  db: number;
  /** The source stream is applied up to here once this op is answered. */
  mark?: StreamPosition;
  /** The MULTI block this op belongs to, so a resend starts at its MULTI. */
  block?: Op[];
  /** Answered with a transient error (LOADING, BUSY, …): certainly not run. */
  refused?: boolean;
  /** Sent again after a broken connection although it may have run already. */
  replayed?: boolean;
}

export interface WriterStats {
  commands: number;
  bytes: number;
}

export class StandaloneWriter {
  private conn?: PipelinedConnection<Op>;
  private readonly limiter: WriteThrottle;
  private capabilities?: DestinationCapabilities;
  private currentDb = -1;
  private targetDb = 0;
  private openBlock?: Op[];
  private fatal?: Error;
  private recovering?: Promise<void>;
  private checkpointMark: StreamPosition | undefined;
  private lastOp?: Op;
  /** Ops to resend after a failure; ops still answered on the dead connection leave it. */
  private resend: Op[] = [];
  readonly stats: WriterStats = { commands: 0, bytes: 0 };

  constructor(readonly endpoint: RedisEndpoint, private readonly opts: WriterOptions = {}) {
    this.limiter = new WriteThrottle(opts.rps ?? 0, opts.bytesPerSecond ?? 0);
  }

  get address(): string {
    return endpointAddress(this.endpoint);
  }

  /** Connects and reads what the destination can accept. */
  async open(): Promise<DestinationCapabilities> {
    await this.connect();
    const info = await this.conn!.call(['INFO', 'server']);
    if (info instanceof RespErrorReply) throw rejectedWrite(this.address, 'INFO', undefined, info);
    this.capabilities = capabilitiesOf(parseVersion(String(info)));
    return this.capabilities;
  }

  get destination(): DestinationCapabilities {
    if (!this.capabilities) throw new Error('StandaloneWriter.open() was not called');
    return this.capabilities;
  }

  /** The error that stopped this writer (a refused write, the retry time run out), if any. */
  /** Undefined: not a cluster (the ClusterWriter reports its number of masters). */
  readonly masters: number | undefined = undefined;

  get failed(): Error | undefined {
    return this.fatal;
  }

  /** The furthest source position whose writes the destination has all acknowledged. */
  get checkpoint(): StreamPosition | undefined {
    return this.checkpointMark;
  }

  /**
   * The source stream has reached `mark` with nothing (more) to write, e.g. a
   * dropped PING: the checkpoint moves there once earlier writes are answered.
   */
  advance(mark: StreamPosition): void {
    if (this.fatal) return;
    const conn = this.conn;
    if (!this.recovering && conn && conn.inFlight === 0) this.checkpointMark = mark;
    else if (this.lastOp) this.lastOp.mark = mark;
  }

  setRate(rps: number, bytesPerSecond = 0): void {
    this.limiter.set(rps, bytesPerSecond);
  }

  private async connect(): Promise<void> {
    const conn: PipelinedConnection<Op> = new PipelinedConnection<Op>(
      this.endpoint,
      (reply, op) => this.onReply(conn, reply, op),
      (err) => this.onConnectionFailure(conn, err),
      { maxInFlight: this.opts.maxInFlight, maxInFlightBytes: this.opts.maxInFlightBytes },
    );
    await conn.open();
    this.conn = conn;
    this.currentDb = -1;
  }

  /** The DB the next writes go to. */
  selectDb(db: number): void {
    this.targetDb = db;
  }

  /**
   * Queue one command. Returns a promise only when the caller must wait
   * (window full, rate limit, or reconnecting); otherwise undefined, so the hot
   * path does not allocate a promise per command.
   */
  write(argv: RespArg[], mark?: StreamPosition, records = 1): Promise<void> | undefined {
    if (this.fatal) throw this.fatal;
    if (this.recovering || !this.conn || this.conn.full) return this.writeSlow(argv, mark, records);
    const delay = this.limiter.unlimited ? 0 : this.limiter.take(argv, records);
    if (delay > 0) return this.writeLater(delay, argv, mark);
    this.writeNow(argv, mark);
    return undefined;
  }

  private async writeSlow(argv: RespArg[], mark: StreamPosition | undefined, records: number): Promise<void> {
    await this.ready();
    const delay = this.limiter.take(argv, records);
    if (delay > 0) return this.writeLater(delay, argv, mark);
    this.writeNow(argv, mark);
  }

  /** After the rate limit's wait: the connection may have broken or filled meanwhile. */
  private async writeLater(delayMs: number, argv: RespArg[], mark?: StreamPosition): Promise<void> {
    await sleep(delayMs);
    await this.ready();
    this.writeNow(argv, mark);
  }

  /** Waits until a command can be sent: not recovering, connected, room in the window. */
  private async ready(): Promise<void> {
    for (;;) {
      if (this.fatal) throw this.fatal;
      if (this.recovering) {
        await this.recovering;
        continue;
      }
      const conn = this.conn;
      if (!conn) throw new WriterError('NOT_OPEN', 'the destination writer is not open');
      if (conn.full) {
        try {
          await conn.waitForRoom();
        } catch (err) {
          this.throwUnlessRecovering(conn, err);
        }
        continue;
      }
      return;
    }
  }

  private writeNow(argv: RespArg[], mark?: StreamPosition): void {
    const conn = this.conn!;
    if (this.currentDb !== this.targetDb) {
      // Inside a MULTI block the SELECT is queued too: it belongs to the block (EXEC answers it).
      const select: Op = { argv: ['SELECT', this.targetDb], db: this.targetDb, block: this.openBlock };
      this.openBlock?.push(select);
      conn.send(select.argv, select);
      this.currentDb = this.targetDb;
    }
    // Only 4- and 5-byte names can be EXEC or MULTI: spare the hot path a string per command.
    const len = Buffer.isBuffer(argv[0]) ? argv[0].length : String(argv[0]).length;
    const name = len === 4 || len === 5 ? commandNameOf(argv) : '';
    const op: Op = { argv, db: this.targetDb, mark };
    this.lastOp = op;
    if (name === 'MULTI') this.openBlock = [];
    if (this.openBlock) {
      op.block = this.openBlock;
      this.openBlock.push(op);
    }
    if (name === 'EXEC') this.openBlock = undefined;
    conn.send(argv, op);
    this.stats.commands++;
  }

  private onReply(conn: PipelinedConnection<Op>, reply: RespValue, op: Op): void {
    if (conn.failed) {
      // Replies still arriving on a connection being replaced: what succeeded needs no resend.
      if (reply instanceof RespErrorReply && isTransientReply(reply)) op.refused = true;
      else this.resend = this.resend.filter((o) => o !== op);
      return;
    }
    if (reply instanceof RespErrorReply) {
      if (isTransientReply(reply)) {
        op.refused = true;
        conn.close();
        this.onConnectionFailure(conn, new TransientReplyError(this.address, reply), op);
        return;
      }
      if (!(op.replayed && ranBefore(op.argv, reply))) {
        this.setFatal(op, reply);
        return;
      }
    }
    if (Array.isArray(reply) && op.block && commandNameOf(op.argv) === 'EXEC') {
      // EXEC answers each queued command (SELECTs included) in order: MULTI … EXEC excluded.
      const queued = op.block.slice(1, -1);
      for (const [i, r] of reply.entries()) {
        if (!(r instanceof RespErrorReply)) continue;
        const failed = queued[i] ?? op;
        if (op.replayed && ranBefore(failed.argv, r)) continue;
        this.setFatal(failed, r);
        return;
      }
    }
    if (op.mark !== undefined) this.checkpointMark = op.mark;
  }

  private setFatal(op: Op, reply: RespErrorReply): void {
    if (this.fatal) return;
    const argv = argvBuffers(op.argv);
    const info = commandInfo(argv);
    const key = info ? commandKeys(info, argv)[0] : undefined;
    this.fatal = rejectedWrite(this.address, commandNameOf(op.argv), key, reply);
    this.conn?.close();
  }

  /** Start reconnecting once; `firstFailed` marks where a transient error reply hit. */
  private onConnectionFailure(conn: PipelinedConnection<Op>, err: Error, firstFailed?: Op): void {
    if (conn !== this.conn || this.fatal || this.recovering) return;
    this.resend = firstFailed ? [firstFailed, ...conn.unanswered()] : conn.unanswered();
    this.recovering = this.recover(err).finally(() => {
      this.recovering = undefined;
    });
  }

  private async recover(cause: Error): Promise<void> {
    const deadline = Date.now() + (cause instanceof TransientReplyError
      ? this.opts.otherRetryMs ?? 10 * 60_000
      : this.opts.connectionRetryMs ?? 10 * 60_000);
    this.opts.log?.('warn', `${describeError(cause)}; retrying`);
    let backoff = 200;
    for (;;) {
      await sleep(backoff);
      try {
        await this.connect();
        break;
      } catch (err) {
        if (err instanceof NetError && !err.transient) {
          this.fatal = err;
          return;
        }
        if (Date.now() > deadline) {
          this.fatal = new WriterError('RETRY_EXHAUSTED', `gave up reconnecting to the destination ${this.address}: ${describeError(err)}`,
            'the retry time ran out; check the destination and start the task again');
          return;
        }
        backoff = Math.min(backoff * 2, 5_000);
      }
    }
    // Resend what was not answered, from the start of any MULTI block it sits in.
    let ops = this.resend;
    this.resend = [];
    const block = ops[0]?.block;
    if (block) {
      const from = block.indexOf(ops[0]);
      ops = [...block.slice(0, from), ...ops];
    }
    const conn = this.conn!;
    for (const op of ops) {
      const select = commandNameOf(op.argv) === 'SELECT';
      // Inside a block the block's own SELECTs switch DBs: an extra one would be queued too.
      const inBlock = op.block !== undefined && commandNameOf(op.argv) !== 'MULTI';
      if (!select && !inBlock && this.currentDb !== op.db) {
        conn.send(['SELECT', op.db], { argv: ['SELECT', op.db], db: op.db });
      }
      if (!inBlock || select) this.currentDb = op.db;
      conn.send(op.argv, op);
    }
    this.opts.log?.('info', `reconnected to the destination ${this.address}; resent ${ops.length} unanswered command(s)`);
    this.reportReplayed(ops);
  }

  /**
   * Commands sent again may already have run: their answers were lost with the
   * connection. Those that do not give the same result twice are reported by key.
   */
  private reportReplayed(ops: Op[]): void {
    const resent = new Set(ops);
    const mayHaveRun = (op: Op): boolean => {
      if (op.refused) return false;
      if (!op.block) return true;
      // Queued commands ran only if their EXEC was sent and not refused.
      const exec = op.block[op.block.length - 1];
      return exec !== undefined && commandNameOf(exec.argv) === 'EXEC' && resent.has(exec) && !exec.refused;
    };
    const keys = new Map<string, { db: number; key: Buffer }>();
    for (const op of ops) {
      if (!mayHaveRun(op)) continue;
      op.replayed = true;
      const argv = argvBuffers(op.argv);
      if (replaySafe(argv)) continue;
      const info = commandInfo(argv);
      const opKeys = info ? commandKeys(info, argv) : [];
      if (opKeys.length === 0) opKeys.push(Buffer.from(`(${commandNameOf(op.argv)} in DB ${op.db})`));
      for (const key of opKeys) keys.set(`${op.db}\u0000${key.toString('latin1')}`, { db: op.db, key });
    }
    if (keys.size > 0) this.opts.onReplayed?.([...keys.values()]);
  }

  /** Resolves when everything written so far is acknowledged; throws the task-stopping error if any. */
  async flush(): Promise<void> {
    for (;;) {
      if (this.fatal) throw this.fatal;
      if (this.recovering) {
        await this.recovering;
        continue;
      }
      const conn = this.conn;
      if (!conn) throw new WriterError('NOT_OPEN', 'the destination writer is not open');
      try {
        await conn.idle();
      } catch (err) {
        this.throwUnlessRecovering(conn, err);
        continue;
      }
      if (this.fatal) throw this.fatal;
      if (!this.recovering) return;
    }
  }

  /**
   * After `conn` failed under a waiter: a broken link or a transient reply has started
   * recovery (or a fatal reply stopped the writer), so the caller loops and waits for
   * that; a connection closed on purpose (the writer was closed) ends the wait with its error.
   */
  private throwUnlessRecovering(conn: PipelinedConnection<Op>, err: unknown): void {
    if (this.fatal || this.recovering || conn !== this.conn) return;
    throw err;
  }

  close(): void {
    this.conn?.close();
  }
}

/** A transient error reply (LOADING, BUSY, …), retried for the "other issues" retry time. */
class TransientReplyError extends WriterError {
  constructor(address: string, reply: RespErrorReply) {
    super('DESTINATION_BUSY', `the destination ${address} answered ${reply.message}`);
  }
}

/**
 * An error that, for a command sent again after a broken connection, shows that its
 * first run got through: the stream id is already there, the group or key already
 * exists, the key was already renamed away.
 */
function ranBefore(argv: RespArg[], reply: RespErrorReply): boolean {
  switch (commandNameOf(argv)) {
    case 'XADD': return /equal or smaller than the target stream top item/i.test(reply.message);
    case 'XGROUP': return reply.code === 'BUSYGROUP';
    case 'RESTORE': return reply.code === 'BUSYKEY';
    case 'RENAME': case 'RENAMENX': return /no such key/i.test(reply.message);
    default: return false;
  }
}

function commandNameOf(argv: RespArg[]): string {
  return String(Buffer.isBuffer(argv[0]) ? argv[0].toString('latin1') : argv[0]).toUpperCase();
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
