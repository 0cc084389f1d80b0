/**
 * A pipelined RESP connection to one destination node: commands are encoded
 * straight into Buffers, written in batches, and their replies matched in order.
 * The number of commands and bytes awaiting replies is bounded; `waitForRoom()`
 * is the backpressure a writer awaits before sending more.
 */
import type net from 'node:net';
import { EncodedArgs, encodeCommands, RespErrorReply, RespParser, type RespArg, type RespValue } from '../resp';
import { RawScan, rawNeed, rawValueEnd } from '../resp/raw';
import { closedFailure } from '../net/failure';
import { authenticate, NetError, openSocket, type Role } from '../net/socket';
import type { RedisEndpoint } from '../endpoint';
import { endpointAddress } from '../endpoint';

export interface ConnectionOptions {
  /** Commands awaiting replies before `full` turns true. */
  maxInFlight?: number;
  /** Bytes of commands awaiting replies before `full` turns true. */
  maxInFlightBytes?: number;
  connectTimeoutMs?: number;
  /**
   * Commands awaiting replies with nothing received for this long: the connection is
   * declared dead (a silent partition sends no reset). Default 60 s; 0 turns it off.
   */
  replyTimeoutMs?: number;
  /** Which side it connects to, for its errors (default 'destination'; the scan reader reads a source with it). */
  role?: Role;
}

/** Called for each reply, in the order the commands were sent. */
export type ReplyHandler<T> = (reply: RespValue, tag: T) => void;

/** Queued command bytes that trigger a socket write without waiting for the end of the burst. */
const FLUSH_BYTES = 256 * 1024;
const REPLY_TIMEOUT_MS = 60_000;

/** The tag of a `call()`: its reply goes to this promise, not to onReply. */
class CallReply {
  constructor(
    readonly resolve: (reply: RespValue) => void,
    readonly reject: (err: Error) => void,
  ) {}
}

/** The tag of a `callRaw()`: its reply's bytes, unparsed, go to the promise. */
class RawCall extends CallReply {}

interface Waiter {
  resolve: () => void;
  reject: (err: Error) => void;
}

export class PipelinedConnection<T> {
  private socket?: net.Socket;
  private readonly parser = new RespParser();
  // Commands awaiting replies, oldest at pendingHead: tags and estimated sizes in
  // parallel arrays, so a command costs no object of its own here.
  private pendingTags: (T | CallReply)[] = [];
  private pendingBytes: number[] = [];
  private pendingHead = 0;
  private inFlightBytes = 0;
  private outbox: RespArg[][] = [];
  private outboxTags: (T | CallReply)[] = [];
  private outboxSizes: number[] = [];
  private flushScheduled = false;
  private outboxBytes = 0;
  private roomWaiters: Waiter[] = [];
  private idleWaiters: Waiter[] = [];
  private failure?: Error;
  private readonly maxInFlight: number;
  private readonly maxInFlightBytes: number;
  /** Since when the connection has been waiting without hearing from the server. */
  private quietSince = 0;
  private watchdog?: NodeJS.Timeout;
  /** A raw reply's bytes so far (views of the chunks), while it spans chunks; null when none. */
  private rawParts: Buffer[] | null = null;
  private rawLen = 0;
  /** Bytes the raw reply needs at least before it is scanned again. */
  private rawWant = 0;
  /** How far the raw reply was scanned (it goes on from there). */
  private rawScan = new RawScan();

  constructor(
    readonly endpoint: RedisEndpoint,
    private readonly onReply: ReplyHandler<T>,
    private readonly onFailure: (err: Error) => void,
    private readonly opts: ConnectionOptions = {},
  ) {
    this.maxInFlight = opts.maxInFlight ?? 4096;
    this.maxInFlightBytes = opts.maxInFlightBytes ?? 16 * 1024 * 1024;
  }

  get address(): string {
    return endpointAddress(this.endpoint);
  }

  /** Connects and logs in; rejects with a NetError a person can act on. */
  async open(): Promise<void> {
    const role = this.opts.role ?? 'destination';
    const socket = await openSocket(this.endpoint, { timeoutMs: this.opts.connectTimeoutMs ?? 10_000, role, noDelay: true });
    let answered: boolean;
    try {
      answered = await authenticate(socket, this.endpoint, role);
    } catch (err) {
      socket.destroy();
      throw err;
    }
    this.socket = socket;
    // Until the server first answers, an error or a close says why the connection is refused (e.g. TLS).
    const stage = () => (answered ? 'use' : 'login');
    socket.on('data', (chunk: Buffer) => {
      answered = true;
      this.onData(chunk);
    });
    socket.on('error', (err) => this.fail(NetError.fromSocket(err, this.endpoint, role, stage())));
    socket.on('close', () => this.fail(answered
      ? new NetError('LINK_BROKEN', `the connection to the ${role} ${this.address} closed`, 'the task retries within its retry time for failed connections')
      : NetError.of(closedFailure({ tls: this.endpoint.tls !== undefined, stage: 'login' }), this.endpoint, role)));
    socket.on('drain', () => this.wakeRoom());
    const timeout = this.opts.replyTimeoutMs ?? REPLY_TIMEOUT_MS;
    if (timeout > 0) {
      this.watchdog = setInterval(() => {
        if (this.pendingTags.length > this.pendingHead && Date.now() - this.quietSince > timeout) {
          this.fail(new NetError('TIMEOUT', `the ${role} ${this.address} has not answered for ${Math.round(timeout / 1000)} s`,
            `the task reconnects within its retry time for failed connections; check the network path to the ${role}`));
        }
      }, Math.min(1000, timeout));
      this.watchdog.unref();
    }
  }

  get inFlight(): number {
    return this.pendingTags.length - this.pendingHead + this.outboxTags.length;
  }

  /** True when the caller should await `waitForRoom()` before sending more. */
  get full(): boolean {
    return this.inFlight >= this.maxInFlight || this.inFlightBytes >= this.maxInFlightBytes || (this.socket?.writableNeedDrain ?? false);
  }

  get failed(): Error | undefined {
    return this.failure;
  }

  /** Queue a command; it is written with others queued in the same tick. */
  send(argv: RespArg[], tag: T): void {
    this.enqueue(argv, tag, estimateBytes(argv));
  }

  /** One command whose reply is awaited, in order with the pipelined ones (set-up calls: INFO, SELECT). */
  call(argv: RespArg[]): Promise<RespValue> {
    return new Promise((resolve, reject) => {
      try {
        this.enqueue(argv, new CallReply(resolve, reject), estimateBytes(argv));
      } catch (err) {
        reject(err as Error);
      }
    });
  }

  /**
   * One command whose reply is awaited as its raw RESP bytes (resp/raw.ts reads them), in order
   * with the others: for replies of many bulk strings, read without a Buffer per element. Only
   * the RESP2 types and RESP3's null are understood (what SCAN and MGET answer).
   */
  callRaw(argv: RespArg[]): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      try {
        this.enqueue(argv, new RawCall(resolve as (reply: RespValue) => void, reject), estimateBytes(argv));
      } catch (err) {
        reject(err as Error);
      }
    });
  }

  private enqueue(argv: RespArg[], tag: T | CallReply, bytes: number): void {
    if (this.failure) throw this.failure;
    this.outbox.push(argv);
    this.outboxTags.push(tag);
    this.outboxSizes.push(bytes);
    this.inFlightBytes += bytes;
    this.outboxBytes += bytes;
    // One socket write per batch, not per command: flush once enough is queued, or
    // after the current burst of work (setImmediate runs after pending I/O).
    if (this.outboxBytes >= FLUSH_BYTES) this.flush();
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    this.outboxBytes = 0;
    if (this.failure || !this.socket || this.outbox.length === 0) return;
    const payload = encodeCommands(this.outbox);
    if (this.pendingTags.length === this.pendingHead) this.quietSince = Date.now();
    for (let i = 0; i < this.outboxTags.length; i++) {
      this.pendingTags.push(this.outboxTags[i]!);
      this.pendingBytes.push(this.outboxSizes[i]!);
    }
    this.outbox = [];
    this.outboxTags = [];
    this.outboxSizes = [];
    this.socket.write(payload);
  }

  waitForRoom(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (!this.full) return Promise.resolve();
    return new Promise((resolve, reject) => this.roomWaiters.push({ resolve, reject }));
  }

  /** Resolves when every command sent so far has its reply. */
  idle(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve, reject) => this.idleWaiters.push({ resolve, reject }));
  }

  private readonly deliver = (value: RespValue): void => {
    const head = this.pendingHead;
    if (head >= this.pendingTags.length) throw new NetError('PROTOCOL', `the destination ${this.address} sent a reply to no command`);
    const tag = this.pendingTags[head]!;
    this.pendingTags[head] = undefined as T; // the reply is handled: let the command be collected
    this.pendingHead = head + 1;
    this.inFlightBytes -= this.pendingBytes[head]!;
    if (tag instanceof CallReply) tag.resolve(value);
    else this.onReply(value, tag);
  };

  /** The parser's callback: halts it before a raw reply, which the connection takes itself. */
  private readonly deliverParsed = (value: RespValue): boolean => {
    this.deliver(value);
    return this.pendingTags[this.pendingHead] instanceof RawCall;
  };

  /** Takes a raw reply from `pos`; returns where it ended, or chunk.length when it goes on in the next chunk. */
  private takeRaw(chunk: Buffer, pos: number): number {
    let buf = chunk;
    let from = pos;
    let joined = 0; // bytes of earlier chunks before `chunk` in `buf`
    if (this.rawParts) {
      this.rawParts.push(pos === 0 ? chunk : chunk.subarray(pos));
      this.rawLen += chunk.length - pos;
      if (this.rawLen < this.rawWant) return chunk.length;
      joined = this.rawLen - (chunk.length - pos);
      buf = Buffer.concat(this.rawParts, this.rawLen);
      from = 0;
    }
    const end = rawValueEnd(buf, from, this.rawScan);
    if (end < 0) {
      if (!this.rawParts) {
        // A view: a socket's chunks are never reused (the parser keeps views of them too).
        this.rawParts = [chunk.subarray(pos)];
        this.rawLen = chunk.length - pos;
      } else {
        this.rawParts = [buf];
      }
      this.rawWant = rawNeed;
      return chunk.length;
    }
    this.rawParts = null;
    this.rawLen = 0;
    this.rawWant = 0;
    this.rawScan = new RawScan();
    this.deliver(buf.subarray(from, end));
    // In `chunk`'s own coordinates: `buf` began `joined` bytes before chunk[pos].
    return buf === chunk ? end : pos + end - joined;
  }

  private onData(chunk: Buffer): void {
    this.quietSince = Date.now();
    try {
      let pos = 0;
      while (pos < chunk.length) {
        if (this.rawParts || (!this.parser.pending && this.pendingTags[this.pendingHead] instanceof RawCall)) {
          pos = this.takeRaw(chunk, pos);
          continue;
        }
        // Most replies of a migration are "+OK" (and "+QUEUED" in a transaction): take a run of
        // them without the general parser.
        if (!this.parser.pending) {
          if (pos + 5 <= chunk.length && chunk[pos] === 0x2b && chunk[pos + 1] === 0x4f && chunk[pos + 2] === 0x4b
            && chunk[pos + 3] === 0x0d && chunk[pos + 4] === 0x0a) {
            this.deliver('OK');
            pos += 5;
            continue;
          }
          if (pos + 9 <= chunk.length && chunk[pos] === 0x2b && chunk[pos + 1] === 0x51 && chunk[pos + 2] === 0x55
            && chunk[pos + 3] === 0x45 && chunk[pos + 4] === 0x55 && chunk[pos + 5] === 0x45 && chunk[pos + 6] === 0x44
            && chunk[pos + 7] === 0x0d && chunk[pos + 8] === 0x0a) {
            this.deliver('QUEUED');
            pos += 9;
            continue;
          }
          if (chunk[pos] === 0x2a && !(this.pendingTags[this.pendingHead] instanceof CallReply)) {
            // An array of simple replies (an EXEC's answers): only whether one is an error matters to a writer.
            const end = simpleArrayEnd(chunk, pos);
            if (end >= 0) {
              this.deliver(SIMPLE_ARRAY);
              pos = end;
              continue;
            }
          }
        }
        pos += this.parser.execute(pos === 0 ? chunk : chunk.subarray(pos), this.deliverParsed);
      }
    } catch (err) {
      this.fail(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    if (this.pendingHead > 4096 && this.pendingHead * 2 > this.pendingTags.length) {
      this.pendingTags.splice(0, this.pendingHead);
      this.pendingBytes.splice(0, this.pendingHead);
      this.pendingHead = 0;
    }
    this.wakeRoom();
    if (this.inFlight === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w.resolve();
    }
  }

  private wakeRoom(): void {
    if (this.full || this.roomWaiters.length === 0) return;
    const waiters = this.roomWaiters;
    this.roomWaiters = [];
    for (const w of waiters) w.resolve();
  }

  private waiting(): (T | CallReply)[] {
    return [...this.pendingTags.slice(this.pendingHead), ...this.outboxTags];
  }

  /** Tags of the commands sent but not answered, in order (to resend after a reconnect). */
  unanswered(): T[] {
    return this.waiting().filter((t): t is T => !(t instanceof CallReply));
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.teardown(err);
    this.onFailure(err);
  }

  /** Marks the connection dead and wakes everyone waiting on it (with `err`). */
  private teardown(err: Error): void {
    this.failure = err;
    if (this.watchdog) clearInterval(this.watchdog);
    this.socket?.destroy();
    const waiters = [...this.roomWaiters, ...this.idleWaiters];
    this.roomWaiters = [];
    this.idleWaiters = [];
    for (const w of waiters) w.reject(err);
    for (const t of this.waiting()) if (t instanceof CallReply) t.reject(err);
  }

  /**
   * Closes on purpose (the writer gave up on it or is done): no failure callback, but
   * whoever awaits room, idleness or a reply is woken, or a writer stopped by a fatal
   * reply would wait forever.
   */
  close(): void {
    if (this.failure) {
      this.socket?.destroy();
      return;
    }
    this.teardown(new NetError('CLOSED', `the connection to ${this.address} was closed`));
  }
}

/**
 * What a writer is handed for an array reply whose elements are all simple non-errors
 * (`+…` or `:…`): an empty array, so it reads as "an array, nothing refused" without a
 * value built per element.
 */
const SIMPLE_ARRAY: RespValue[] = Object.freeze([]) as unknown as RespValue[];

/** Where the array reply at `pos` ends when it is complete in `chunk` and every element is `+…` or `:…`; else -1. */
function simpleArrayEnd(chunk: Buffer, pos: number): number {
  let i = pos + 1;
  let count = 0;
  const n = chunk.length;
  while (i < n && chunk[i]! >= 0x30 && chunk[i]! <= 0x39) count = count * 10 + (chunk[i++]! - 0x30);
  if (i === pos + 1 || i + 1 >= n || chunk[i] !== 0x0d || chunk[i + 1] !== 0x0a) return -1;
  i += 2;
  for (let k = 0; k < count; k++) {
    if (i >= n || (chunk[i] !== 0x2b && chunk[i] !== 0x3a)) return -1;
    const eol = chunk.indexOf(0x0d, i + 1);
    if (eol < 0 || eol + 1 >= n || chunk[eol + 1] !== 0x0a) return -1;
    i = eol + 2;
  }
  return i;
}

function estimateBytes(argv: readonly RespArg[]): number {
  let bytes = 16;
  for (const a of argv) bytes += Buffer.isBuffer(a) ? a.length + 16 : a instanceof EncodedArgs ? a.bytes.length + 16 : 24;
  return bytes;
}

export function isErrorReply(v: RespValue): v is RespErrorReply {
  return v instanceof RespErrorReply;
}
