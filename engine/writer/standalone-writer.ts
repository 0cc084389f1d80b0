/**
 * Writes to a standalone destination: pipelined over one connection with a
 * bounded in-flight window, every reply checked, DB switches tracked, and a
 * checkpoint that only moves once the destination has answered everything up to
 * a source offset.
 *
 * The replication stream is written in units (`beginUnits`): MULTI, a run of
 * commands (whole source transactions, never cut), the SET of the task's record
 * with the position they reach, EXEC. The destination applies a unit whole or not
 * at all, so after a broken connection or a transient reply (LOADING, BUSY, …)
 * the writer reconnects, reads the record, drops the units it names as applied
 * and resends the rest: exactly once. A record older than what the destination
 * had acknowledged means it lost acknowledged writes (restarted without
 * persistence, failed over to a lagging replica): the writer stops with
 * DESTINATION_ROLLED_BACK so the task can read the stream again from there.
 *
 * Outside units (the snapshot, whose writes replace whole keys) unanswered
 * commands are resent from the start of their MULTI block, and keys where a
 * second run counts twice are reported (see replay.ts).
 */
import { randomBytes } from 'node:crypto';
import { commandInfo, commandKeys } from '../commands/table';
import { endpointAddress, type RedisEndpoint } from '../endpoint';
import { describeError } from '../errors';
import { NetError } from '../net/socket';
import { argvBuffers, RespErrorReply, type RespArg, type RespValue } from '../resp';
import { capabilitiesOf, moduleNamesOf, parseVersion, type DestinationCapabilities } from './capabilities';
import { BulkBuilder } from './bulk-builder';
import { PipelinedConnection } from './connection';
import { isTransientReply, printable, rejectedWrite, WriterError } from './errors';
import { WriteThrottle } from './rate-limiter';
import { commandNameOf, ranBefore, unsafelyRepeatedKeys } from './replay';
import { RetryPolicy, sleep, type RetryCause } from './retry';
import type { DestinationWriter, StreamPosition, UnitRecord, WriterOptions, WriterStats } from './types';

interface Op {
  argv: RespArg[];
  db: number;
  /** The source stream is applied up to here once this op is answered. */
  mark?: StreamPosition;
  /** The MULTI block (or unit) this op belongs to, so a resend starts at its MULTI. */
  block?: Op[];
  /** Answered with a transient error (LOADING, BUSY, …): certainly not run. */
  refused?: boolean;
  /** Sent again after a broken connection although it may have run already. */
  replayed?: boolean;
  /** This op sets the record to the unit tagged so (the unit's SET and its EXEC carry it). */
  recordTag?: string;
}

/** A unit closes at the first command boundary past this many commands, bytes or milliseconds open. */
const UNIT_COMMANDS = 4096;
const UNIT_BYTES = 4 * 1024 * 1024;
const UNIT_MS = 100;
/** A run of plain SETs in a unit goes as one MSET of at most this many keys or bytes; a longer value goes alone. */
const MERGED_SET_KEYS = 256;
const MERGED_SET_BYTES = 256 * 1024;
const MERGED_SET_VALUE_MAX = 64 * 1024;
/** Outside units, a stream that only advances (filtered commands, PINGs) refreshes the record this often. */
const RECORD_REFRESH_MS = 1_000;

interface UnitState {
  record: UnitRecord;
  /** Names this writer's units (a record read back names the unit that wrote it). */
  tagBase: string;
  seq: number;
  /** Inside a transaction of the source: the unit must not close before its EXEC. */
  sourceBlock: boolean;
  /** The latest stream position handed to the writer: the next record says it. */
  mark?: StreamPosition;
  /** Commands and bytes in the open unit; whether it has been open UNIT_MS. */
  commands: number;
  bytes: number;
  expired: boolean;
  timer?: NodeJS.Timeout;
  /** The last write ended a source command (it carried a mark): the unit may close here. */
  atBoundary: boolean;
  /** The tag of the latest record the destination acknowledged. */
  ackedTag?: string;
  /** The offset and time of the latest record sent. */
  recordedOffset: number;
  recordedAt: number;
  /** Set while the open unit waits to be committed: new writes wait for it. */
  closing?: Promise<void>;
}

export class StandaloneWriter implements DestinationWriter {
  private conn?: PipelinedConnection<Op>;
  private readonly limiter: WriteThrottle;
  private readonly retry: RetryPolicy;
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
  private units?: UnitState;
  /**
   * Consecutive plain `SET key value`s of a unit, waiting to go as one MSET: inside a
   * transaction that is the same change, for a fraction of the destination's work.
   */
  private readonly setRun = new BulkBuilder(16 * 1024);
  private setRunDb = 0;
  readonly stats: WriterStats = { commands: 0, bytes: 0, errors: 0, retries: 0 };
  /** Undefined: not a cluster (the ClusterWriter reports its number of masters). */
  readonly masters: number | undefined = undefined;

  constructor(readonly endpoint: RedisEndpoint, private readonly opts: WriterOptions = {}) {
    this.limiter = new WriteThrottle(opts.rps ?? 0, opts.bytesPerSecond ?? 0);
    this.retry = new RetryPolicy(opts);
  }

  get address(): string {
    return endpointAddress(this.endpoint);
  }

  /** Connects and reads what the destination can accept. */
  async open(): Promise<DestinationCapabilities> {
    await this.connect();
    const info = await this.conn!.call(['INFO', 'server']);
    if (info instanceof RespErrorReply) throw rejectedWrite(this.address, 'INFO', undefined, info);
    // Which modules it loads, so a key of a module type it lacks fails naming both (refused: only the built-in ones are known).
    const modules = moduleNamesOf(await this.conn!.call(['MODULE', 'LIST']));
    this.capabilities = capabilitiesOf(parseVersion(String(info)), modules);
    return this.capabilities;
  }

  get destination(): DestinationCapabilities {
    if (!this.capabilities) throw new Error('StandaloneWriter.open() was not called');
    return this.capabilities;
  }

  /** The error that stopped this writer (a refused write, the retry time run out), if any. */
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
    if (this.units) {
      this.units.mark = mark;
      this.units.atBoundary = true;
      if (this.openBlock) return; // the unit's EXEC carries it
    }
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
      { maxInFlight: this.opts.maxInFlight, maxInFlightBytes: this.opts.maxInFlightBytes, replyTimeoutMs: this.opts.replyTimeoutMs },
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
    if (this.units) {
      // A source transaction becomes part of a unit: its MULTI/EXEC only keep the unit open.
      const name = multiOrExec(argv);
      if (name === 'MULTI') {
        this.units.sourceBlock = true;
        return undefined;
      }
      if (name === 'EXEC') {
        this.units.sourceBlock = false;
        if (mark) this.advance(mark);
        return undefined;
      }
    }
    if (this.recovering || !this.conn || this.conn.full || this.units?.closing) return this.writeSlow(argv, mark, records);
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
      if (this.units?.closing) {
        await this.units.closing;
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

  /** Queues an op on the connection (SELECTing its DB first when needed, inside the open block if any). */
  private send(op: Op): void {
    const conn = this.conn!;
    if (this.currentDb !== op.db) {
      // Inside a MULTI block the SELECT is queued too: it belongs to the block (EXEC answers it).
      const select: Op = { argv: ['SELECT', op.db], db: op.db, block: this.openBlock };
      this.openBlock?.push(select);
      conn.send(select.argv, select);
      this.currentDb = op.db;
    }
    if (this.openBlock) {
      op.block = this.openBlock;
      this.openBlock.push(op);
    }
    conn.send(op.argv, op);
  }

  private writeNow(argv: RespArg[], mark?: StreamPosition): void {
    const units = this.units;
    if (units) {
      if (!this.openBlock) this.openUnit();
      if (isPlainSet(argv)) {
        const run = this.setRun;
        if (run.count > 0 && this.setRunDb !== this.targetDb) this.sendSetRun();
        this.setRunDb = this.targetDb;
        const key = argv[1] as Buffer;
        const value = argv[2] as Buffer;
        run.span(key, 0, key.length).span(value, 0, value.length);
        if (run.count >= MERGED_SET_KEYS * 2 || run.bytes >= MERGED_SET_BYTES) this.sendSetRun();
      } else {
        this.sendSetRun();
        const op: Op = { argv, db: this.targetDb };
        this.lastOp = op;
        this.send(op);
      }
      this.stats.commands++;
      units.commands++;
      units.bytes += approxBytes(argv);
      units.atBoundary = mark !== undefined;
      if (mark) {
        units.mark = mark;
        if (!units.sourceBlock && (units.commands >= UNIT_COMMANDS || units.bytes >= UNIT_BYTES || units.expired)) void this.closeUnit();
      }
      return;
    }
    // Only 4- and 5-byte names can be EXEC or MULTI: spare the hot path a string per command.
    const name = multiOrExec(argv);
    const op: Op = { argv, db: this.targetDb, mark };
    this.lastOp = op;
    if (name === 'MULTI') {
      this.send(op);
      op.block = this.openBlock = [op];
    } else {
      this.send(op);
      if (name === 'EXEC') this.openBlock = undefined;
    }
    this.stats.commands++;
  }

  /**
   * Writes go in units from now on (see the file comment), the stream starting at
   * `start`. The writer must be idle (flushed); the record is set at once to `start`.
   */
  beginUnits(record: UnitRecord, start: StreamPosition): boolean {
    if (this.units) return true;
    this.units = {
      record, tagBase: randomBytes(4).toString('hex'), seq: 0, sourceBlock: false, mark: start,
      commands: 0, bytes: 0, expired: false, atBoundary: true, recordedOffset: -1, recordedAt: 0,
    };
    this.sendRecord(start);
    return true;
  }

  /** Back to plain writes (a snapshot follows): the open unit is committed and acknowledged first. */
  async endUnits(): Promise<void> {
    if (!this.units) return;
    await this.flush();
    this.units = undefined;
  }

  /** The end of a batch of the stream: the open unit is closed, or the record refreshed. */
  commitUnit(): Promise<void> | undefined {
    const units = this.units;
    if (!units || this.fatal) return undefined;
    if (this.recovering || !this.conn) return this.ready().then(() => this.commitUnit());
    if (this.openBlock) return units.sourceBlock ? undefined : this.closeUnit();
    const mark = units.mark;
    // Only once every earlier write is answered: a record sent behind a unit that fails would claim it.
    if (mark && mark.offset > units.recordedOffset && this.conn.inFlight === 0 && Date.now() - units.recordedAt >= RECORD_REFRESH_MS) {
      this.sendRecord(mark);
    }
    return undefined;
  }

  private openUnit(): void {
    const units = this.units!;
    const conn = this.conn!;
    if (this.currentDb < 0) {
      // A new connection: the unit starts in a known DB, so a resend can SELECT it again.
      conn.send(['SELECT', this.targetDb], { argv: ['SELECT', this.targetDb], db: this.targetDb });
      this.currentDb = this.targetDb;
    }
    const multi: Op = { argv: ['MULTI'], db: this.currentDb };
    this.openBlock = [multi];
    multi.block = this.openBlock;
    conn.send(multi.argv, multi);
    units.commands = 0;
    units.bytes = 0;
    units.expired = false;
    // A slow stream (throttled, or waiting on the source) still gets its writes applied within UNIT_MS.
    const block = this.openBlock;
    units.timer = setTimeout(() => {
      units.expired = true;
      if (this.openBlock === block && units.atBoundary && !units.sourceBlock) void this.closeUnit();
    }, UNIT_MS);
    units.timer.unref();
  }

  /**
   * Commits the open unit: its record's SET and EXEC. Only once every command sent
   * so far is answered (QUEUED, and the previous unit's EXEC succeeded): a unit is
   * never run after one that failed, so the record names a prefix of the stream.
   * Until then new writes wait (one round trip per unit; units are large).
   */
  private closeUnit(): Promise<void> | undefined {
    const units = this.units;
    const conn = this.conn;
    if (!units || !this.openBlock || !conn || this.recovering || this.fatal) return undefined;
    if (units.closing) return units.closing;
    this.sendSetRun(); // its QUEUED is waited for too
    if (conn.inFlight === 0) {
      this.sendCommit();
      return undefined;
    }
    const closing: Promise<void> = conn.idle().then(
      () => {
        if (units.closing === closing) units.closing = undefined;
        if (!this.fatal && !this.recovering && this.conn === conn && this.openBlock) this.sendCommit();
      },
      () => {
        // The connection failed: recovery resends the open unit.
        if (units.closing === closing) units.closing = undefined;
      },
    );
    units.closing = closing;
    return closing;
  }

  /** The waiting run of plain SETs, as one MSET in the open unit. */
  private sendSetRun(): void {
    if (this.setRun.count === 0) return;
    const op: Op = { argv: ['MSET', this.setRun.take()], db: this.setRunDb };
    this.lastOp = op;
    this.send(op);
  }

  private sendCommit(): void {
    const units = this.units!;
    this.sendSetRun();
    clearTimeout(units.timer);
    const mark = units.mark!;
    const tag = `${units.tagBase}.${++units.seq}`;
    this.send({ argv: ['SET', units.record.key, `${units.record.value(mark)} ${tag}`], db: units.record.db, recordTag: tag });
    const exec: Op = { argv: ['EXEC'], db: units.record.db, mark, recordTag: tag };
    this.send(exec);
    this.openBlock = undefined;
    this.lastOp = exec;
    units.recordedOffset = mark.offset;
    units.recordedAt = Date.now();
  }

  /** The record alone (a plain SET is atomic): the stream moved on with nothing to write. */
  private sendRecord(mark: StreamPosition): void {
    const units = this.units!;
    if (!this.conn || this.recovering || this.fatal) return;
    const tag = `${units.tagBase}.${++units.seq}`;
    const op: Op = { argv: ['SET', units.record.key, `${units.record.value(mark)} ${tag}`], db: units.record.db, mark, recordTag: tag };
    this.lastOp = op;
    this.send(op);
    units.recordedOffset = mark.offset;
    units.recordedAt = Date.now();
  }

  private onReply(conn: PipelinedConnection<Op>, reply: RespValue, op: Op): void {
    // Queued in a unit: what it did shows in the EXEC's answer (a refusal would be an error here).
    if (reply === 'QUEUED') return;
    if (conn.failed) {
      // In units the record says what ran; outside them, what succeeded here needs no resend.
      if (this.units) return;
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
      for (let i = 0; i < reply.length; i++) {
        const r = reply[i];
        if (!(r instanceof RespErrorReply)) continue;
        const failed = op.block[i + 1] ?? op;
        if (op.replayed && ranBefore(failed.argv, r)) continue;
        this.setFatal(failed, r, op.recordTag !== undefined);
        return;
      }
    }
    // A write got through (not a MULTI, SELECT or QUEUED, which a busy server still answers): a run of failures ends.
    if (this.retry.troubled && (Array.isArray(reply) || (op.block === undefined && commandNameOf(op.argv) !== 'SELECT'))) this.retry.succeeded();
    // A unit's record counts once its EXEC ran (its SET inside is only QUEUED before that).
    if (op.recordTag !== undefined && this.units && (op.block === undefined || Array.isArray(reply))) this.units.ackedTag = op.recordTag;
    if (op.mark !== undefined) this.checkpointMark = op.mark;
  }

  private setFatal(op: Op, reply: RespErrorReply, inAppliedUnit = false): void {
    if (this.fatal) return;
    const argv = argvBuffers(op.argv);
    const info = commandInfo(argv);
    const key = info ? commandKeys(info, argv)[0] : undefined;
    const err = rejectedWrite(this.address, commandNameOf(op.argv), key, reply, argv);
    // The rest of its unit ran, and the record moved past it: a restart continues after it.
    this.fatal = inAppliedUnit
      ? new WriterError(err.code, `${err.message}; the other commands of its unit were applied`,
        `${err.hint ? `${err.hint}; ` : ''}starting the task again continues after this command${key ? `, so key "${printable(key)}" must be repaired (Full Data Verification shows it)` : ''}`)
      : err;
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
    const why: RetryCause = cause instanceof TransientReplyError ? 'busy' : 'connection';
    this.stats.errors++;
    const attempt = this.retry.attempt(why);
    if (attempt.expired) {
      this.fatal = new WriterError('RETRY_EXHAUSTED', `gave up on the destination ${this.address}: ${describeError(cause)}`,
        why === 'busy' ? 'it kept refusing writes for the retry time for other issues; check the destination and start the task again'
          : 'the retry time ran out; check the destination and start the task again');
      return;
    }
    this.opts.log?.('warn', `${describeError(cause)}; retrying`);
    let record: Buffer | null = null;
    for (;;) {
      await attempt.pause();
      this.stats.retries++;
      try {
        await this.connect();
        if (this.units) record = await this.getOnConnection(this.units.record.db, this.units.record.key);
        break;
      } catch (err) {
        // It worked with these settings before: only a wrong password and the like are final.
        if (err instanceof NetError && !err.transientOnceConnected) {
          this.fatal = err;
          return;
        }
        if (attempt.expired) {
          this.fatal = new WriterError('RETRY_EXHAUSTED', `gave up reconnecting to the destination ${this.address}: ${describeError(err)}`,
            'the retry time ran out; check the destination and start the task again');
          return;
        }
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
    if (this.units) {
      const applied = this.appliedPrefix(ops, record);
      if (applied < 0) return; // rolled back: fatal is set
      for (const op of ops.slice(0, applied)) if (op.mark) this.checkpointMark = op.mark;
      if (applied > 0) this.opts.log?.('info', `the destination had applied ${applied} of the unanswered command(s), as its record says`);
      ops = ops.slice(applied);
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
    if (!this.units) this.reportReplayed(ops);
  }

  /**
   * In units: how many of the unanswered ops the destination ran, from the record read
   * back — everything up to the end of the unit (or plain record SET) it names. Units
   * are applied whole and in order, so that is exact. -1 when the record is older than
   * what the destination had acknowledged (fatal DESTINATION_ROLLED_BACK is set).
   */
  private appliedPrefix(ops: Op[], record: Buffer | null): number {
    const units = this.units!;
    const tag = record === null ? undefined : lastWord(record);
    const at = tag === undefined ? -1 : ops.findIndex((op) => op.recordTag === tag);
    if (at >= 0) {
      units.ackedTag = tag;
      const owner = ops[at].block;
      return owner ? ops.indexOf(owner[owner.length - 1]) + 1 : at + 1;
    }
    if (units.ackedTag === undefined || tag === units.ackedTag) return 0;
    this.fatal = new RolledBackError(this.address, record);
    return -1;
  }

  private reportReplayed(ops: Op[]): void {
    const resent = new Set(ops);
    const mayHaveRun = (op: Op): boolean => {
      if (op.refused) return false;
      if (!op.block) return true;
      // Queued commands ran only if their EXEC was sent and not refused.
      const exec = op.block[op.block.length - 1];
      return exec !== undefined && commandNameOf(exec.argv) === 'EXEC' && resent.has(exec) && !exec.refused;
    };
    const again = ops.filter(mayHaveRun);
    for (const op of again) op.replayed = true;
    const keys = unsafelyRepeatedKeys(again);
    if (keys.length > 0) this.opts.onReplayed?.(keys);
  }

  /** GET on the current connection, in the given DB (set-up and recovery only). */
  private async getOnConnection(db: number, key: Buffer): Promise<Buffer | null> {
    const conn = this.conn!;
    const selected = await conn.call(['SELECT', db]);
    if (selected instanceof RespErrorReply) throw rejectedWrite(this.address, 'SELECT', undefined, selected);
    this.currentDb = db;
    const value = await conn.call(['GET', key]);
    if (value instanceof RespErrorReply) throw rejectedWrite(this.address, 'GET', key, value);
    return value === null ? null : (value as Buffer);
  }

  async readKey(db: number, key: Buffer): Promise<Buffer | null> {
    await this.flush();
    return this.getOnConnection(db, key);
  }

  async setKey(db: number, key: Buffer, value: string | null): Promise<void> {
    await this.flush();
    const conn = this.conn!;
    const selected = await conn.call(['SELECT', db]);
    if (selected instanceof RespErrorReply) throw rejectedWrite(this.address, 'SELECT', undefined, selected);
    this.currentDb = db;
    const reply = await conn.call(value === null ? ['DEL', key] : ['SET', key, value]);
    if (reply instanceof RespErrorReply) throw rejectedWrite(this.address, value === null ? 'DEL' : 'SET', key, reply);
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
      if (this.units && this.openBlock && !this.units.sourceBlock) {
        // The open unit is committed first: nothing in it is applied before its EXEC.
        await this.closeUnit();
        continue;
      }
      try {
        await conn.idle();
      } catch (err) {
        this.throwUnlessRecovering(conn, err);
        continue;
      }
      if (this.fatal) throw this.fatal;
      if (this.units?.closing || (this.units && this.openBlock && !this.units.sourceBlock)) continue;
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
 * The destination's record is older than a position it had acknowledged: it lost
 * writes it had confirmed. `record` is what it holds now (null: nothing).
 */
export class RolledBackError extends WriterError {
  constructor(address: string, readonly record: Buffer | null) {
    super('DESTINATION_ROLLED_BACK',
      `the destination ${address} lost writes it had acknowledged (its record of the task is ${record === null ? 'gone' : 'older than what it confirmed'}): it restarted without persistence, or a replica that was behind took over`,
      'the task reads the source again from the position the destination still holds');
  }
}

/**
 * `SET key value` with no option (the stream's commonest write) and a value short enough to
 * copy into a batch: Buffers, 3 arguments, the name S-E-T in any case.
 */
function isPlainSet(argv: RespArg[]): boolean {
  if (argv.length !== 3) return false;
  const name = argv[0];
  const value = argv[2];
  if (!Buffer.isBuffer(name) || name.length !== 3 || !Buffer.isBuffer(argv[1]) || !Buffer.isBuffer(value)) return false;
  if (value.length > MERGED_SET_VALUE_MAX) return false;
  return (name[0]! | 0x20) === 0x73 && (name[1]! | 0x20) === 0x65 && (name[2]! | 0x20) === 0x74;
}

/** 'MULTI' or 'EXEC' when argv is one of them, else '' — by the bytes, no string per command. */
function multiOrExec(argv: RespArg[]): string {
  const first = argv[0];
  if (!Buffer.isBuffer(first)) {
    const name = String(first).toUpperCase();
    return name === 'MULTI' || name === 'EXEC' ? name : '';
  }
  const n = first.length;
  if (n === 4 && (first[0]! | 0x20) === 0x65 && (first[1]! | 0x20) === 0x78 && (first[2]! | 0x20) === 0x65 && (first[3]! | 0x20) === 0x63) return 'EXEC';
  if (n === 5 && (first[0]! | 0x20) === 0x6d && (first[1]! | 0x20) === 0x75 && (first[2]! | 0x20) === 0x6c && (first[3]! | 0x20) === 0x74
    && (first[4]! | 0x20) === 0x69) return 'MULTI';
  return '';
}

function approxBytes(argv: RespArg[]): number {
  let n = 0;
  for (const a of argv) n += Buffer.isBuffer(a) ? a.length : 16;
  return n;
}

function lastWord(value: Buffer): string {
  const text = value.toString('latin1');
  return text.slice(text.lastIndexOf(' ') + 1);
}
