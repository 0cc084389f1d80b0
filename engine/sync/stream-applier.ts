/**
 * Replays the source's replication stream on the destination: tracks the
 * selected DB, keeps MULTI/EXEC blocks whole, applies the task's filter and DB
 * mapping, and handles the commands whose meaning depends on which DBs the task
 * carries (FLUSHDB, FLUSHALL, SWAPDB, MOVE, COPY … DB). A command it cannot
 * replay stops the task, naming it: a quiet divergence is worse than an error.
 */
import { keySlot } from '../cluster/slot';
import { commandInfo, commandName, keyedCommand, keyPositions, type CommandInfo, type KeyedCommand } from '../commands/table';
import { translatorFor, type CommandTranslator, type Translation } from '../commands/translate';
import { DtsError } from '../errors';
import type { EntryFilter } from '../filter';
import { HEARTBEAT_PREFIX } from '../filter';
import type { CommandSink } from '../writer/key-writer';
import type { DestinationWriter } from '../writer/destination';
import type { StreamPosition } from '../writer/types';

export class StreamError extends DtsError {}

export interface StreamCommand {
  argv: Buffer[];
  /** Replication offset right after this command. */
  offset: number;
}

export interface StreamApplierOptions {
  filter: EntryFilter;
  /** Whether the destination is a cluster (SWAPDB and DB moves cannot be followed there). */
  clusterDestination?: boolean;
  /** How many DBs the source has (its `databases` setting; default 16). */
  sourceDatabases?: number;
  /** The source DB selected where the stream starts (aux repl-stream-db, or a checkpoint's). */
  initialDb?: number;
  /** The replication offset where the stream starts (the snapshot's, or the resumed one). */
  initialOffset?: number;
  /** The heartbeat key this task writes; its values give the synchronization delay. */
  heartbeatKey?: string;
  /** Added to expire times written (Extend Expiration Time of Destination Database Key). */
  ttlExtendMs?: number;
  log: (level: 'info' | 'warn' | 'error', message: string) => void;
  onHeartbeat?: (sentAtMs: number) => void;
  /**
   * Each source key the stream writes (source DB, key), once its command is handed
   * to the writer; a MULTI block's keys at its EXEC. For Incremental Data Verification.
   */
  onKeyWritten?: (db: number, key: Buffer) => void;
}

export type ApplierSink = CommandSink & Pick<DestinationWriter, 'advance'>;

export interface StreamStats {
  commands: number;
  applied: number;
  dropped: number;
}

const EXPIRE_AT_MS = new Set(['PEXPIREAT']);

export class StreamApplier {
  private db: number;
  /** Commands of an open MULTI block, written at EXEC. */
  private block?: Buffer[][];
  /** End of the last command fully handled (written or skipped) outside any open MULTI block. */
  private handledOffset: number;
  private handledDb: number;
  private readonly heartbeat: Buffer;
  /** Commands the destination lacks, rewritten for it (commands/translate.ts); made at the first write. */
  private translator?: CommandTranslator;
  readonly stats: StreamStats = { commands: 0, applied: 0, dropped: 0 };

  constructor(private readonly sink: ApplierSink, private readonly opts: StreamApplierOptions) {
    this.db = opts.initialDb ?? 0;
    this.heartbeat = Buffer.from(opts.heartbeatKey ?? HEARTBEAT_PREFIX);
    this.handledOffset = opts.initialOffset ?? 0;
    this.handledDb = this.db;
  }

  /** The source DB selected at the current point of the stream. */
  get currentDb(): number {
    return this.db;
  }

  /**
   * Where a broken link must resume (PSYNC <replid> <offset+1>) and the DB selected there:
   * after the last command handled, but before the MULTI of a transaction whose EXEC has
   * not arrived yet — its commands are only held here, and would be lost otherwise.
   */
  get resumePoint(): StreamPosition {
    return { offset: this.handledOffset, db: this.handledDb };
  }

  /**
   * Applies one command of the stream. Returns a promise only when the caller
   * must wait (the writer is full, a transaction, a control command), so the
   * common case costs no promise per command.
   */
  apply(cmd: StreamCommand): Promise<void> | undefined {
    this.stats.commands++;
    const info = commandInfo(cmd.argv);
    if (info && info.kind === 'write' && !this.block) {
      // The hot path: an ordinary keyed write outside a transaction.
      const mark: StreamPosition = { offset: cmd.offset, db: this.db };
      const written = this.writeCommand(info, cmd.argv, mark);
      if (written instanceof Promise) return written.then((w) => this.finish(w, mark));
      this.finish(written, mark);
      return undefined;
    }
    return this.applyCommand(cmd).then(() => this.markHandled(cmd.offset));
  }

  private finish(written: boolean, mark: StreamPosition): void {
    if (!written) {
      this.stats.dropped++;
      this.sink.advance(mark);
    }
    this.markHandled(mark.offset);
  }

  private markHandled(offset: number): void {
    if (this.block) return;
    this.handledOffset = offset;
    this.handledDb = this.db;
  }

  private async applyCommand(cmd: StreamCommand): Promise<void> {
    const { argv } = cmd;
    const name = commandName(argv);
    const mark: StreamPosition = { offset: cmd.offset, db: this.db };
    switch (name) {
      case 'SELECT':
        if (this.block) {
          this.block.push(argv);
        } else {
          this.db = Number(argv[1]?.toString('latin1'));
          this.sink.advance({ offset: cmd.offset, db: this.db });
        }
        return;
      case 'MULTI':
        this.block = [];
        return;
      case 'EXEC':
        return this.execBlock(cmd);
    }
    if (this.block) {
      this.block.push(argv);
      return;
    }
    const written = await this.applyOne(argv, mark);
    if (!written) {
      this.stats.dropped++;
      this.sink.advance(mark);
    }
  }

  /** A MULTI block, written whole at its EXEC (or skipped when none of it concerns the task). */
  private async execBlock(cmd: StreamCommand): Promise<void> {
    const block = this.block ?? [];
    this.block = undefined;
    const planned: { argv: Buffer[]; db: number }[] = [];
    let db = this.db;
    for (const argv of block) {
      if (commandName(argv) === 'SELECT') db = Number(argv[1]?.toString('latin1'));
      else planned.push({ argv, db });
    }
    const mark: StreamPosition = { offset: cmd.offset, db };
    if (!planned.some((p) => this.wouldWrite(p.argv, p.db))) {
      this.db = db;
      this.stats.dropped += planned.length;
      this.sink.advance(mark);
      return;
    }
    await this.sink.write(['MULTI']);
    for (const p of planned) {
      this.db = p.db;
      await this.applyOne(p.argv, undefined);
    }
    this.db = db;
    await this.sink.write(['EXEC'], mark);
  }

  /** Whether a command would produce any write (used to skip empty transactions). */
  private wouldWrite(argv: Buffer[], db: number): boolean {
    const info = commandInfo(argv);
    if (!info) return true; // applyOne will refuse it with a clear error
    if (info.kind === 'drop') return false;
    if (info.kind === 'global') return true;
    if (info.kind === 'control') return true;
    if (!this.opts.filter.acceptsDb(db)) return false;
    const positions = keyPositions(info, argv);
    return positions.length === 0 || positions.some((i) => this.opts.filter.acceptsKey(argv[i]));
  }

  /** Writes one command (or what it maps to); false when nothing was written. */
  private async applyOne(argv: Buffer[], mark: StreamPosition | undefined): Promise<boolean> {
    const name = commandName(argv);
    const info = commandInfo(argv);
    if (!info) {
      throw new StreamError('UNSUPPORTED_COMMAND',
        `the source sent ${name}, which this engine cannot replay; stopping rather than letting the destination diverge`,
        'leave the keys it touches out of the task with a key filter, or stop using the command on the source during the task');
    }
    if (info.kind === 'drop') return false;
    if (info.kind === 'global') {
      const translated = this.translated(info.name, argv);
      if (translated) {
        const wrote = await this.writeTranslated(translated, mark);
        if (wrote) this.stats.applied++;
        return wrote;
      }
      await this.sink.write(argv, mark);
      this.stats.applied++;
      return true;
    }
    if (info.kind === 'control') return this.applyControl(name, argv, mark);
    return this.writeCommand(info, argv, mark);
  }

  /**
   * A keyed write: filtered, mapped and written. A promise only when the writer makes us wait.
   * Its keys are found once (KeyedCommand) for the heartbeat test, the filter, a cluster's
   * routing and the written-key hook.
   */
  private writeCommand(info: CommandInfo, argv: Buffer[], mark: StreamPosition | undefined): boolean | Promise<boolean> {
    const filter = this.opts.filter;
    const cmd = keyedCommand(info, argv);
    // The heartbeat is written in DB 0, which the task may not carry: it still gives the delay.
    if (this.isHeartbeat(cmd)) return false;
    if (!filter.acceptsDb(this.db)) return false;
    const out = filter.filterCommand(cmd);
    if (!out) return false;
    this.sink.selectDb(filter.mapDb(this.db));
    const db = this.db;
    const translated = this.translated(info.name, out.argv);
    if (translated) return this.writeTranslated(translated.map((c) => this.extendTtl(c)), mark).then((w) => w && this.written(out, db));
    const pending = this.sink.write(this.extendTtl(out.argv), mark, 1, this.opts.clusterDestination ? slotOf(out) : undefined);
    // No closure per command on the hot path (tsx names every named one with a defineProperty).
    if (pending) return pending.then(() => this.written(out, db));
    return this.written(out, db);
  }

  /** What to write instead of a command the destination lacks; undefined when it goes as it is. */
  private translated(name: string, argv: Buffer[]): Translation | undefined {
    const t = (this.translator ??= translatorFor(this.sink.destination.version));
    return t.names.has(name) ? t.translate(name, argv) : undefined;
  }

  /** A translation's commands in order, the mark on the last (one unit holds them all); false when it is none. */
  private async writeTranslated(cmds: Translation, mark: StreamPosition | undefined): Promise<boolean> {
    for (let i = 0; i < cmds.length; i++) {
      const pending = this.sink.write(cmds[i], i === cmds.length - 1 ? mark : undefined);
      if (pending) await pending;
    }
    return cmds.length > 0;
  }

  private written(cmd: KeyedCommand, db: number): true {
    this.stats.applied++;
    const hook = this.opts.onKeyWritten;
    if (hook) for (const i of cmd.keys) hook(db, cmd.argv[i]);
    return true;
  }

  private isHeartbeat(cmd: KeyedCommand): boolean {
    const { argv, keys: positions } = cmd;
    // Cheap test first: the heartbeat key is argv[1] of a one-key command of its exact length.
    const first = argv[1];
    if (!first || first.length !== this.heartbeat.length || !first.equals(this.heartbeat)) return false;
    if (positions.length !== 1 || positions[0] !== 1) return false;
    const name = commandName(argv);
    if ((name === 'SET' || name === 'SETEX' || name === 'PSETEX') && this.opts.onHeartbeat) {
      const value = Number((name === 'SET' ? argv[2] : argv[3])?.toString('latin1'));
      if (Number.isFinite(value)) this.opts.onHeartbeat(value);
    }
    return true;
  }

  /** Extend Expiration Time: absolute expiries in the stream move by the task's extension. */
  private extendTtl(argv: Buffer[]): Buffer[] {
    const ext = this.opts.ttlExtendMs ?? 0;
    if (ext === 0) return argv;
    const name = commandName(argv);
    if (EXPIRE_AT_MS.has(name) && argv[2]) {
      const out = [...argv];
      out[2] = Buffer.from(String(Number(argv[2].toString('latin1')) + ext));
      return out;
    }
    if (name === 'RESTORE' && argv[2]) {
      // Its TTL (absolute with ABSTTL, relative without), 0 for none: moved by the extension either way.
      const ttl = Number(argv[2].toString('latin1'));
      if (!(ttl > 0)) return argv;
      const out = [...argv];
      out[2] = Buffer.from(String(ttl + ext));
      return out;
    }
    if (name === 'SET') {
      const out = [...argv];
      for (let i = 3; i < out.length - 1; i++) {
        const opt = out[i].toString('latin1').toUpperCase();
        if (opt === 'PXAT') out[i + 1] = Buffer.from(String(Number(out[i + 1].toString('latin1')) + ext));
        if (opt === 'EXAT') out[i + 1] = Buffer.from(String(Number(out[i + 1].toString('latin1')) + Math.round(ext / 1000)));
      }
      return out;
    }
    return argv;
  }

  private async applyControl(name: string, argv: Buffer[], mark: StreamPosition | undefined): Promise<boolean> {
    const filter = this.opts.filter;
    switch (name) {
      case 'FLUSHDB': {
        if (!filter.acceptsDb(this.db)) return false;
        const to = filter.mapDb(this.db);
        this.opts.log('warn', `FLUSHDB on source DB ${this.db}: emptied destination DB ${to}`);
        this.sink.selectDb(to);
        await this.sink.write(['FLUSHDB', ...argv.slice(1)], mark);
        return true;
      }
      case 'FLUSHALL': {
        const dbs = filter.flushAllTargets(this.opts.sourceDatabases ?? 16);
        if (!dbs) {
          this.opts.log('warn', 'FLUSHALL on the source: emptied every destination DB');
          await this.sink.write(['FLUSHALL', ...argv.slice(1)], mark);
          return true;
        }
        this.opts.log('warn', `FLUSHALL on the source: emptied destination DB(s) ${dbs.join(', ')}`);
        for (const [i, db] of dbs.entries()) {
          this.sink.selectDb(db);
          await this.sink.write(['FLUSHDB', ...argv.slice(1)], i === dbs.length - 1 ? mark : undefined);
        }
        return true;
      }
      case 'SWAPDB': {
        const a = Number(argv[1]?.toString('latin1'));
        const b = Number(argv[2]?.toString('latin1'));
        const inA = filter.acceptsDb(a);
        const inB = filter.acceptsDb(b);
        if (!inA && !inB) return false;
        if (inA && inB && !this.opts.clusterDestination) {
          this.opts.log('warn', `SWAPDB ${a} ${b} on the source: swapped destination DBs ${filter.mapDb(a)} and ${filter.mapDb(b)}`);
          await this.sink.write(['SWAPDB', filter.mapDb(a), filter.mapDb(b)], mark);
          return true;
        }
        throw new StreamError('SWAPDB', `the source ran SWAPDB ${a} ${b}, which this task cannot follow`,
          this.opts.clusterDestination ? 'a cluster destination has only DB 0' : 'select both DBs in the task, or neither');
      }
      case 'MOVE':
        return this.moveKey(argv, mark);
      case 'COPY':
        return this.copyKey(argv, mark);
    }
    return false;
  }

  /** MOVE key db: follow it when both DBs are carried; a key leaving the task is deleted. */
  private async moveKey(argv: Buffer[], mark: StreamPosition | undefined): Promise<boolean> {
    const filter = this.opts.filter;
    const key = argv[1];
    const to = Number(argv[2]?.toString('latin1'));
    if (!filter.acceptsKey(key)) return false;
    const fromIn = filter.acceptsDb(this.db);
    const toIn = filter.acceptsDb(to);
    if (!fromIn && !toIn) return false;
    if (fromIn && toIn) {
      this.sink.selectDb(filter.mapDb(this.db));
      await this.sink.write(['MOVE', key, filter.mapDb(to)], mark);
      this.opts.onKeyWritten?.(this.db, key);
      this.opts.onKeyWritten?.(to, key);
      return true;
    }
    if (fromIn) {
      this.sink.selectDb(filter.mapDb(this.db));
      await this.sink.write(['DEL', key], mark);
      this.opts.onKeyWritten?.(this.db, key);
      return true;
    }
    throw new StreamError('MOVE_INTO_TASK', `the source moved key "${key.toString()}" from DB ${this.db}, which the task does not carry, into DB ${to}, which it does`,
      'select both DBs in the task');
  }

  private async copyKey(argv: Buffer[], mark: StreamPosition | undefined): Promise<boolean> {
    const filter = this.opts.filter;
    const dbOpt = argv.findIndex((a, i) => i > 2 && a.toString('latin1').toUpperCase() === 'DB');
    const to = dbOpt > 0 ? Number(argv[dbOpt + 1]?.toString('latin1')) : this.db;
    const [src, dst] = [argv[1], argv[2]];
    const fromIn = filter.acceptsDb(this.db) && filter.acceptsKey(src);
    const toIn = filter.acceptsDb(to) && filter.acceptsKey(dst);
    if (!toIn) return false;
    if (!fromIn) {
      throw new StreamError('COPY_INTO_TASK', `the source copied key "${src.toString()}" from outside the task into "${dst.toString()}"`,
        'widen the task\'s DB selection or key filter to include the copied key');
    }
    const out = [...argv];
    if (dbOpt > 0) out[dbOpt + 1] = Buffer.from(String(filter.mapDb(to)));
    this.sink.selectDb(filter.mapDb(this.db));
    const translated = this.translated('COPY', out);
    if (translated) await this.writeTranslated(translated, mark);
    else await this.sink.write(out, mark);
    this.opts.onKeyWritten?.(to, dst);
    return true;
  }
}

/** The one hash slot of a command's keys, or undefined (no keys, or keys in several slots: the writer splits or emulates). */
function slotOf(cmd: KeyedCommand): number | undefined {
  const keys = cmd.keys;
  if (keys.length === 0) return undefined;
  const slot = keySlot(cmd.argv[keys[0]!]!);
  for (let i = 1; i < keys.length; i++) if (keySlot(cmd.argv[keys[i]!]!) !== slot) return undefined;
  return slot;
}
