/**
 * The master side of the replication protocol, for one replica: the destination of a task in
 * Replication relay mode (issue 20), which the engine points at itself with REPLICAOF.
 *
 * The destination's handshake (PING, AUTH with the password the engine chose, REPLCONF) is
 * answered here; its PSYNC becomes the engine's own PSYNC to the source with the same
 * arguments and the same capabilities, and from then on the two sockets are spliced: the
 * source's bytes (the +FULLRESYNC/+CONTINUE line, the snapshot, the stream) go to the
 * destination as they arrive, and the destination's REPLCONF ACKs go back to the source.
 * So the replication id and offsets are the source's own, a break costs what it costs
 * natively (the destination asks again with `PSYNC <replid> <offset>`, which reaches the
 * source unchanged) and the checkpoint is the offset the destination acknowledged — exact by
 * construction. The source's bytes go through the replication framer, so the relay knows its
 * stage, the snapshot's size and the stream's length, without holding them, and its keys are counted
 * as they pass (snapshot-counter.ts).
 *
 * Backpressure both ways: a destination slower than the source pauses the source socket
 * (its output buffer then grows on the source, as with a native replica).
 *
 * On plain TCP the relay allocates nothing per chunk: the source's reads go into one reused buffer
 * (SourceReader) and each chunk is written on as it is, a view of that buffer.
 */
import { EventEmitter } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { DtsError } from '../errors';
import { endpointAddress, type RedisEndpoint } from '../endpoint';
import { authenticate, openSocket, request } from '../net/socket';
import { encodeCommand, RespParser, type RespValue } from '../resp';
import { ReplicationFramer } from '../replica/framer';
import { SnapshotKeyCounter } from './snapshot-counter';
import { byteRate, isUnlimited, PacedWriter, StreamCommandCounter, UNLIMITED, type RelayLimits } from './relay-throttle';

export type RelayStage = 'idle' | 'handshake' | 'waiting-snapshot' | 'snapshot' | 'stream';

export interface RelayStats {
  stage: RelayStage;
  /** The source's replication id, from its +FULLRESYNC or +CONTINUE. */
  replid: string | null;
  /** The offset the stream reached (what the destination will hold once it has applied all it was sent). */
  sentOffset: number;
  /** The last offset the destination acknowledged (REPLCONF ACK): the checkpoint. */
  ackedOffset: number;
  snapshotBytes: number;
  /** The snapshot's size when the source sent it from disk; null for a diskless one. */
  snapshotTotal: number | null;
  fullSyncs: number;
  partialResyncs: number;
  /** Bytes read from the source since the relay started. */
  bytesRelayed: number;
  /** Of them, bytes written to the destination (fewer while a throttle holds some back). */
  bytesSent: number;
  /** Sessions the destination's side ended (its link broke, or it closed it). */
  sessionsLost: number;
  /** Keys of the current snapshot seen so far (its copy parsed as it passes); null when it could not be followed. */
  snapshotKeys: number | null;
  /**
   * How long the oldest byte the destination has not acknowledged has been sent (ms); 0 when it acknowledged
   * everything. A replica acknowledges about once a second, so this is that precise.
   */
  delayMs: number | null;
}

export interface RelayEvents {
  /** A session began: full (+FULLRESYNC) or partial (+CONTINUE). */
  session: [{ kind: 'full' | 'partial'; replid: string; offset: number }];
  ack: [number];
  /** Something an operator should know (a session ended, the source refused …). */
  log: ['info' | 'warn', string];
}

export interface RelayServerOptions {
  source: RedisEndpoint;
  /** Where the destination connects: loopback by default. */
  listenHost?: string;
  listenPort?: number;
  /** TLS on the destination's side (PEM certificate and key). */
  tls?: { cert: string; key: string };
  /** The password the destination must send (its masterauth); random by default. */
  password?: string;
  connectTimeoutMs?: number;
}

/** REPLCONF capabilities the relay does not pass on: they need a second channel it does not relay. */
const UNRELAYED_CAPAS = new Set(['dual-channel', 'rdb-channel-repl']);
const SAMPLE_MS = 20;
/** The destination's handshake (PING, AUTH, REPLCONF, PSYNC): its commands are small and take a moment. */
const HANDSHAKE_MAX_BULK = 64 * 1024;
const HANDSHAKE_MS = 30_000;
const MAX_SAMPLES = 4096;
/** The source's reads go into a buffer of this size (Node's own are 64 KB): what gathered (below) in one read. */
const READ_BUFFER = 512 * 1024;
/**
 * After a read shorter than this the source's socket is left unread for a moment, so the next read takes
 * what arrived meanwhile: a source writes its snapshot 16 KB at a time and its stream once per event loop.
 * How long depends on what the bytes cost here. The snapshot's are parsed (its keys counted): each read
 * and write costs about as much as the bytes it moves, and 10 ms took the full sync from 1.27x to 1.15x a
 * native replica loading the same way (20 ms stalled the source: its socket buffers fill). The stream's
 * are only passed on, and what it needs is a destination fed evenly, not in lumps: 2 ms. Measured
 * on 2 cores, relay / native stream rate, means of 8-round A/Bs (2026-12-03 evening): no gathering 0.94,
 * 1 ms 0.99, 2 ms 1.01, 5 ms 0.96, 10 ms 0.92 (docs/relay.md, Speed).
 */
const GATHER_BELOW = 256 * 1024;
const SNAPSHOT_GATHER_MS = 10;
const STREAM_GATHER_MS = 2;

/**
 * Whether the source's socket is read, from the reasons not to: the task paused, the destination's socket
 * full (backpressure), a short read just taken (gathering), bytes still held back by the task's throttle.
 * It is read again once no reason is left.
 */
type GateReason = 'paused' | 'backpressure' | 'gathering' | 'throttle';

class ReadGate {
  private readonly reasons = new Set<GateReason>();
  private gatherTimer?: NodeJS.Timeout;

  constructor(private readonly socket: net.Socket) {}

  set(reason: GateReason, on: boolean): void {
    const before = this.reasons.size;
    if (on) this.reasons.add(reason);
    else this.reasons.delete(reason);
    if (before === 0 && this.reasons.size > 0) this.socket.pause();
    else if (before > 0 && this.reasons.size === 0) this.socket.resume();
  }

  /** A read of `bytes` was taken: a short one is followed by `ms` without reading. */
  read(bytes: number, ms: number): void {
    if (bytes >= GATHER_BELOW || this.gatherTimer) return;
    this.set('gathering', true);
    this.gatherTimer = setTimeout(() => {
      this.gatherTimer = undefined;
      this.set('gathering', false);
    }, ms);
  }

  close(): void {
    clearTimeout(this.gatherTimer);
    this.gatherTimer = undefined;
  }
}

/**
 * The source's bytes read into one buffer used again and again (Node's `onread`) instead of a fresh
 * 64 KB one per read, so that relaying allocates nothing per chunk and leaves the garbage collector
 * nothing to do. What keeps bytes copies them: the handshake's reply parser gets a copy, the framer
 * copies what it holds between reads, the snapshot's counter what it parses. A
 * chunk the destination's socket did not take whole at once (its writable not empty: the kernel's
 * buffer is full) is kept by the socket until sent: the next read then goes into a new buffer.
 */
class SourceReader {
  private buffer = Buffer.allocUnsafe(READ_BUFFER);
  /** Whether the destination's socket still holds a slice of the current buffer. */
  held = false;
  /** Before the splice: the handshake's replies, as 'data' events for request(). */
  onChunk: (chunk: Buffer) => void;

  constructor(private readonly socket: () => net.Socket | undefined) {
    this.onChunk = (chunk) => this.socket()?.emit('data', Buffer.from(chunk));
  }

  readonly onread: net.OnReadOpts = {
    buffer: () => {
      if (this.held) {
        this.buffer = Buffer.allocUnsafe(READ_BUFFER);
        this.held = false;
      }
      return this.buffer;
    },
    callback: (n, buf) => {
      this.onChunk((buf as Buffer).subarray(0, n));
      return true; // backpressure pauses the socket itself
    },
  };
}

interface Session {
  destination: net.Socket;
  source?: net.Socket;
  gate?: ReadGate;
  paced?: PacedWriter;
}

export class ReplicationRelay extends EventEmitter<RelayEvents> {
  /** What the destination must AUTH with; may be set until the destination connects. */
  password: string;
  private server?: net.Server;
  private session?: Session;
  private readonly stats: RelayStats = {
    stage: 'idle', replid: null, sentOffset: 0, ackedOffset: 0, snapshotBytes: 0, snapshotTotal: null,
    fullSyncs: 0, partialResyncs: 0, bytesRelayed: 0, bytesSent: 0, sessionsLost: 0, snapshotKeys: 0, delayMs: null,
  };
  /** (offset, time sent) of stream bytes not yet acknowledged, at most one per SAMPLE_MS. */
  private sent: { offset: number; at: number }[] = [];
  private readonly counter = new SnapshotKeyCounter({
    count: (keys) => {
      this.stats.snapshotKeys = keys;
    },
    lost: (why) => {
      // The destination reads what the engine's parser may not (a module's values): only the count is lost.
      const limit = this.limits.snapshot;
      const held = limit.rps > 0 ? (limit.bytesPerSecond > 0 ? '; its keys-per-second limit gives way to its MB/s one' : '; its keys-per-second limit cannot hold, so it goes unthrottled') : '';
      this.emit('log', limit.rps > 0 ? 'warn' : 'info', `the snapshot's keys are not counted (${why}); it is relayed all the same${held}`);
      this.stats.snapshotKeys = null;
    },
  });
  /** The task's throttle, by stage; unlimited unless set (setLimits). */
  private limits: RelayLimits = UNLIMITED;
  /** Whether any limit is set: an unlimited relay asks nothing more of a read. */
  private limited = false;
  /** The stream's commands, counted only while the stream is limited in commands per second. */
  private streamCommands?: StreamCommandCounter;
  /** The source connection failed this many times in a row (reset by a session that reached the stream). */
  consecutiveSourceFailures = 0;
  lastSourceError: unknown;

  constructor(private readonly opts: RelayServerOptions) {
    super();
    this.password = opts.password ?? randomBytes(24).toString('base64url');
  }

  get progress(): Readonly<RelayStats> {
    return this.stats;
  }

  /** Whether a destination is connected and its session reached the source. */
  get connected(): boolean {
    return this.session?.source !== undefined;
  }

  /** Listens; resolves with the port the destination must be pointed at. */
  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      const server = this.opts.tls
        ? tls.createServer({ cert: this.opts.tls.cert, key: this.opts.tls.key }, (socket) => this.accept(socket))
        : net.createServer((socket) => this.accept(socket));
      // A failed TLS handshake (a client that does not trust the certificate) closes that client only.
      server.on('tlsClientError', (err) => this.emit('log', 'warn', `a TLS handshake on the relay's port failed: ${err.message}`));
      const host = this.opts.listenHost ?? '127.0.0.1';
      const port = this.opts.listenPort ?? 0;
      const failed = (err: NodeJS.ErrnoException) => {
        const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;
        const why = err.code === 'EADDRINUSE' ? 'another program already listens on that port'
          : err.code === 'EADDRNOTAVAIL' ? 'that address is not one of this machine\'s'
            : err.code === 'EACCES' ? 'this process may not listen on that port' : err.message;
        reject(new DtsError('RELAY_LISTEN', `the relay cannot listen on ${where}: ${why}`,
          'choose another address or port with --relay-listen host:port (the console: DTS_RELAY_LISTEN), or leave the port out for a free one', { cause: err }));
      };
      server.once('error', failed);
      server.listen(port, host, () => {
        server.off('error', failed);
        this.server = server;
        resolve((server.address() as net.AddressInfo).port);
      });
    });
  }

  private paused = false;

  /**
   * Nothing more of the source's is passed on until resume(): the source holds it (its replica output
   * buffer; past its client-output-buffer-limit it drops the link, and the destination asks again from
   * its offset on resume — a partial resync while the backlog still holds it).
   */
  pause(): void {
    this.paused = true;
    this.session?.gate?.set('paused', true);
  }

  resume(): void {
    this.paused = false;
    this.session?.gate?.set('paused', false);
  }

  /** The task's throttle from now on (the current stage's at once, the next stage's when it begins). */
  setLimits(limits: RelayLimits): void {
    this.limits = limits;
    this.limited = !isUnlimited(limits);
    if (!(limits.stream.rps > 0)) this.streamCommands = undefined;
    else this.streamCommands ??= new StreamCommandCounter();
  }

  /** Bytes per second the destination may be sent now; 0 = unlimited. */
  private currentRate(): number {
    const { snapshot, stream } = this.limits;
    if (this.stats.stage === 'stream') return byteRate(stream, this.streamCommands?.bytesPerCommand);
    if (snapshot.rps > 0) this.counter.countNow();
    return byteRate(snapshot, this.counter.bytesPerKey);
  }

  /** Ends the current session (the destination will reconnect and ask again). */
  dropSession(): void {
    const s = this.session;
    this.session = undefined;
    s?.gate?.close();
    s?.paced?.close();
    s?.destination.destroy();
    s?.source?.destroy();
    this.stats.stage = 'idle';
  }

  async close(): Promise<void> {
    this.dropSession();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private accept(destination: net.Socket): void {
    destination.setNoDelay(true);
    if (this.session) {
      // One replica at a time: a second one (a stale connection of the same destination) replaces the first.
      this.emit('log', 'warn', 'the destination connected again while a session was open: the old session is closed');
      this.dropSession();
    }
    const session: Session = { destination };
    this.session = session;
    this.stats.stage = 'handshake';
    // Before AUTH anyone on the listening address may speak: small commands only, and a time limit.
    const parser = new RespParser({ inline: true, maxBulkLength: HANDSHAKE_MAX_BULK, maxLineLength: HANDSHAKE_MAX_BULK });
    const handshakeTimer = setTimeout(() => {
      if (!psync) destination.destroy();
    }, HANDSHAKE_MS);
    handshakeTimer.unref();
    const replconf: Buffer[][] = [];
    let authed = false;
    let psync: Buffer[] | undefined;
    const reply = (text: string) => destination.write(text);
    const onData = (chunk: Buffer) => {
      if (psync) return;
      try {
        parser.execute(chunk, (value: RespValue) => {
          if (psync) return;
          const argv = Array.isArray(value) ? value.map((v) => (Buffer.isBuffer(v) ? v : Buffer.from(String(v)))) : [];
          const name = argv[0]?.toString('latin1').toUpperCase();
          if (name === 'PING') reply('+PONG\r\n');
          else if (name === 'AUTH') {
            authed = this.checkPassword(argv[argv.length - 1]);
            reply(authed ? '+OK\r\n' : '-WRONGPASS invalid username-password pair or user is disabled.\r\n');
          } else if (!authed) reply('-NOAUTH Authentication required.\r\n');
          else if (name === 'REPLCONF') {
            replconf.push(argv);
            reply('+OK\r\n');
          } else if (name === 'PSYNC' && argv.length === 3) {
            psync = argv;
            clearTimeout(handshakeTimer);
            // Nothing more is read until the source's side is spliced on (the replica waits for the PSYNC answer).
            destination.pause();
            destination.off('data', onData);
            void this.startSession(session, replconf, psync);
          } else if (name === 'SYNC') {
            reply('-ERR the redis-dts relay speaks PSYNC only\r\n');
          } else reply(`-ERR the redis-dts relay answers only the replication handshake\r\n`);
        });
      } catch {
        destination.destroy();
      }
    };
    destination.on('data', onData);
    destination.on('error', () => undefined);
    destination.on('close', () => {
      clearTimeout(handshakeTimer);
      if (this.session === session) {
        this.session = undefined;
        session.gate?.close();
        session.source?.destroy();
        this.stats.stage = 'idle';
        this.stats.sessionsLost++;
        this.emit('log', 'info', 'the destination closed its replication session');
      }
    });
  }

  private checkPassword(given: Buffer | undefined): boolean {
    const want = Buffer.from(this.password);
    return given !== undefined && given.length === want.length && timingSafeEqual(given, want);
  }

  /** Opens the source side with the destination's own capabilities and PSYNC, then splices the two sockets. */
  private async startSession(session: Session, replconf: Buffer[][], psync: Buffer[]): Promise<void> {
    const e = this.opts.source;
    const peer = { endpoint: e, role: 'source' as const };
    let source: net.Socket | undefined;
    // Plain TCP on both sides (a TLS socket reads and writes through its own buffers): reads into reused buffers.
    const reader = !e.tls && !this.opts.tls ? new SourceReader(() => source) : undefined;
    try {
      source = await openSocket(e, { timeoutMs: this.opts.connectTimeoutMs ?? 10_000, role: 'source', noDelay: true, onread: reader?.onread });
    } catch (err) {
      this.sourceFailed(session, err);
      return;
    }
    if (this.abandoned(session, source)) return;
    session.source = source;
    source.on('error', () => undefined);
    try {
      await authenticate(source, e, 'source');
      for (const argv of replconf) {
        const forwarded = this.forwardedReplconf(argv);
        if (forwarded) await request(source, forwarded, peer, { answered: true }); // an unknown option is harmless (REFERENCE §1.1)
      }
    } catch (err) {
      this.sourceFailed(session, err);
      return;
    }
    if (this.abandoned(session, source)) return;
    this.stats.stage = 'waiting-snapshot';
    this.splice(session, source, psync, reader);
  }

  /** The destination went (or was replaced) while the source side was opening: that side is closed. */
  private abandoned(session: { destination: net.Socket }, source: net.Socket): boolean {
    if (this.session === session && !session.destination.destroyed) return false;
    source.destroy();
    return true;
  }

  /** A REPLCONF as the source gets it: the relay's own second channels left out. */
  private forwardedReplconf(argv: Buffer[]): Buffer[] | undefined {
    const option = argv[1]?.toString('latin1').toLowerCase();
    if (option !== 'capa') return argv;
    const out: Buffer[] = [argv[0]!];
    for (let i = 1; i + 1 < argv.length; i += 2) {
      if (UNRELAYED_CAPAS.has(argv[i + 1]!.toString('latin1').toLowerCase())) continue;
      out.push(argv[i]!, argv[i + 1]!);
    }
    return out.length > 1 ? out : undefined;
  }

  private splice(session: Session, source: net.Socket, psync: Buffer[], reader?: SourceReader): void {
    const { destination } = session;
    const gate = (session.gate = new ReadGate(source));
    const stats = this.stats;
    const paced = (session.paced = new PacedWriter(destination, () => this.currentRate(), () => gate.set('throttle', false), (n) => {
      stats.bytesSent += n;
    }));
    let base = 0;
    let streamBytes = 0;
    const counter = this.counter;
    this.sent = [];
    const framer = new ReplicationFramer({
      line: (line) => {
        const [word, replid, offset] = line.split(' ');
        if (word === '+FULLRESYNC' && replid && offset) {
          base = Number(offset);
          streamBytes = 0;
          stats.replid = replid;
          stats.sentOffset = base;
          stats.snapshotBytes = 0;
          stats.snapshotTotal = null;
          stats.fullSyncs++;
          this.emit('session', { kind: 'full', replid, offset: base });
        } else if (word === '+CONTINUE') {
          // The destination asked from offset+1 of its own record: the stream continues there.
          base = Number(psync[2]!.toString('latin1')) - 1;
          streamBytes = 0;
          if (replid) stats.replid = replid;
          else stats.replid = psync[1]!.toString('latin1');
          stats.sentOffset = base;
          stats.partialResyncs++;
          stats.stage = 'stream';
          this.consecutiveSourceFailures = 0;
          this.emit('session', { kind: 'partial', replid: stats.replid, offset: base });
        } else if (word?.startsWith('-')) {
          this.emit('log', 'warn', `the source refused the destination's PSYNC: ${line.slice(1)}`);
        }
      },
      rdbStart: (framing) => {
        stats.stage = 'snapshot';
        stats.snapshotTotal = framing.kind === 'disk' ? framing.size : null;
        stats.snapshotKeys = 0;
        counter.start();
      },
      rdbData: (chunk) => {
        stats.snapshotBytes += chunk.length;
        counter.push(chunk);
      },
      rdbEnd: () => {
        stats.stage = 'stream';
        counter.end();
        this.consecutiveSourceFailures = 0;
      },
      rdbError: (line) => this.emit('log', 'warn', `the source could not produce its snapshot: ${line}`),
      stream: (chunk) => {
        streamBytes += chunk.length;
        stats.sentOffset = base + streamBytes;
        this.streamCommands?.push(chunk);
      },
    });
    let streamMode = false;
    framer.expectPsyncReply();
    const onChunk = (chunk: Buffer) => {
      stats.bytesRelayed += chunk.length;
      if (streamMode) {
        streamBytes += chunk.length;
        stats.sentOffset = base + streamBytes;
        this.streamCommands?.push(chunk);
      } else {
        try {
          framer.push(chunk);
        } catch (err) {
          this.emit('log', 'warn', `the source's replication bytes could not be followed (${(err as Error).message}); they are relayed as they are`);
          streamMode = true;
        }
        if (stats.stage === 'stream' && framer.currentMode === 'stream') streamMode = true;
      }
      if (stats.stage === 'stream') this.noteSent(stats.sentOffset);
      if (paced.active || (this.limited && this.currentRate() > 0)) {
        gate.set('throttle', true);
        paced.write(chunk);
      } else {
        stats.bytesSent += chunk.length;
        if (!destination.write(chunk)) {
          gate.set('backpressure', true);
          destination.once('drain', () => gate.set('backpressure', false));
        }
      }
      gate.read(chunk.length, stats.stage === 'stream' ? STREAM_GATHER_MS : SNAPSHOT_GATHER_MS);
    };
    if (reader) {
      reader.onChunk = (chunk) => {
        onChunk(chunk);
        if (destination.writableLength > 0) reader.held = true;
      };
    } else source.on('data', onChunk);
    // The destination's side after PSYNC: REPLCONF ACK <offset> [FACK …] about once a second, passed to the source.
    const acks = new RespParser({ inline: true });
    destination.on('data', (chunk: Buffer) => {
      try {
        acks.execute(chunk, (value: RespValue) => {
          if (!Array.isArray(value) || value.length < 3) return;
          const [cmd, sub, off] = value.map((v) => String(v));
          if (cmd?.toUpperCase() === 'REPLCONF' && sub?.toUpperCase() === 'ACK') {
            const offset = Number(off);
            if (Number.isFinite(offset) && offset >= stats.ackedOffset) {
              stats.ackedOffset = offset;
              this.noteAcked(offset);
              this.emit('ack', offset);
            }
          }
        });
      } catch {
        acks.reset(); // not a command: nothing to read in it; it is passed on all the same
      }
      if (!source.write(chunk)) {
        destination.pause();
        source.once('drain', () => destination.resume());
      }
    });
    source.on('close', () => {
      if (this.session === session) {
        this.emit('log', 'warn', `the connection to the source ${endpointAddress(this.opts.source)} closed: the destination will ask again`);
        this.dropSession();
      }
    });
    source.write(encodeCommand(psync));
    destination.resume();
    if (this.paused) gate.set('paused', true);
  }

  private noteSent(offset: number): void {
    const last = this.sent[this.sent.length - 1];
    const now = Date.now();
    // One sample per SAMPLE_MS (and a bounded list while nothing is acknowledged): the newest sample's bytes end later.
    if (last && (now - last.at < SAMPLE_MS || this.sent.length >= MAX_SAMPLES)) {
      if (offset > last.offset) last.offset = offset;
      return;
    }
    if (!last || offset > last.offset) this.sent.push({ offset, at: now });
  }

  private noteAcked(offset: number): void {
    let i = 0;
    while (i < this.sent.length && this.sent[i]!.offset <= offset) i++;
    if (i > 0) this.sent.splice(0, i);
    this.refreshDelay();
  }

  /** The delay now: how long the oldest unacknowledged bytes have waited. */
  refreshDelay(): number | null {
    const s = this.stats;
    if (s.stage !== 'stream') return (s.delayMs = null);
    s.delayMs = s.ackedOffset >= s.sentOffset || this.sent.length === 0 ? 0 : Date.now() - this.sent[0]!.at;
    return s.delayMs;
  }

  private sourceFailed(session: Session, err: unknown): void {
    this.consecutiveSourceFailures++;
    this.lastSourceError = err;
    const why = err instanceof DtsError || err instanceof Error ? err.message : String(err);
    this.emit('log', 'warn', `the relay could not reach the source for the destination's PSYNC: ${why}`);
    if (this.session === session) this.dropSession();
  }
}
