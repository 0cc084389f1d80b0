/**
 * A relayed task's throttle: the full migration's and the incremental synchronization's limits (keys or
 * commands per second, bytes per second) kept while the destination replicates through the engine.
 *
 * The relay only sees bytes, so a limit in records per second becomes one in bytes per second through
 * what a record has cost so far: the snapshot's bytes per key as its counter counts them, the stream's
 * bytes per command counted while such a limit holds. What a read took is sent on in slices of a tenth
 * of a second's worth, so a destination fed a throttled snapshot never waits long enough for its
 * `repl-timeout`; meanwhile the source's socket is not read (the read gate's `throttle`), and the source
 * holds what it has not sent, as it does for a slow native replica.
 */
import type net from 'node:net';
import { RespParser } from '../resp';
import { RateLimiter, tighterRate } from '../writer/rate-limiter';
import type { StageThrottles } from '../sync/types';

/** Records (keys of the snapshot, commands of the stream) and bytes per second; 0 = unlimited. */
export interface RelayRate {
  rps: number;
  bytesPerSecond: number;
}

export interface RelayLimits {
  snapshot: RelayRate;
  stream: RelayRate;
}

export const UNLIMITED: RelayLimits = { snapshot: { rps: 0, bytesPerSecond: 0 }, stream: { rps: 0, bytesPerSecond: 0 } };

/** A task's options as the relay's limits: the link rate (`rps`) tightened by each stage's throttle. */
export function relayLimits(rps: number | undefined, throttle: StageThrottles | undefined): RelayLimits {
  const stage = (t: { rps?: number; bytesPerSecond?: number } | undefined): RelayRate => ({
    rps: tighterRate(rps ?? 0, t?.rps ?? 0), bytesPerSecond: t?.bytesPerSecond ?? 0,
  });
  return { snapshot: stage(throttle?.full), stream: stage(throttle?.incremental) };
}

/** The limits in words for the task's log ("the snapshot 5000 keys/s, the stream unlimited"). */
export function describeLimits(l: RelayLimits): string {
  const said = (r: RelayRate, unit: string) => [r.rps > 0 ? `${r.rps} ${unit}/s` : '', r.bytesPerSecond > 0 ? `${+(r.bytesPerSecond / 1048576).toFixed(2)} MB/s` : '']
    .filter(Boolean).join(' and ') || 'unlimited';
  return `the snapshot ${said(l.snapshot, 'keys')}, the stream ${said(l.stream, 'commands')}`;
}

export function isUnlimited(l: RelayLimits): boolean {
  return !(l.snapshot.rps > 0 || l.snapshot.bytesPerSecond > 0 || l.stream.rps > 0 || l.stream.bytesPerSecond > 0);
}

/** Bytes per second at `limit` when a record costs `bytesPerRecord` (unknown yet: the bytes limit alone); 0 = unlimited. */
export function byteRate(limit: RelayRate, bytesPerRecord: number | undefined): number {
  const byRecords = limit.rps > 0 && bytesPerRecord && bytesPerRecord > 0 ? limit.rps * bytesPerRecord : 0;
  return tighterRate(byRecords, limit.bytesPerSecond);
}

/**
 * Counts the stream's commands (top-level RESP values) for the bytes a command costs. It may start in
 * the middle of a command (a limit set while the stream flows): it then starts after the next line that
 * begins an array, and after bytes it cannot parse it starts over the same way — a miscount changes the
 * estimate only, never what is relayed.
 */
export class StreamCommandCounter {
  private parser = new RespParser();
  private synced = false;
  private bytes = 0;
  private commands = 0;

  /** A chunk of the stream (copied: the relay's chunks are views of a buffer it reuses). */
  push(view: Buffer): void {
    let chunk = Buffer.from(view);
    if (!this.synced) {
      const at = chunk[0] === 0x2a ? 0 : chunk.indexOf('\n*');
      if (at < 0) return;
      chunk = chunk.subarray(at === 0 ? 0 : at + 1);
      this.synced = true;
    }
    try {
      this.parser.execute(chunk, (_value, bytes) => {
        this.bytes += bytes;
        this.commands++;
      });
    } catch {
      this.parser = new RespParser();
      this.synced = false;
    }
  }

  /** Bytes per command so far; undefined before the first. */
  get bytesPerCommand(): number | undefined {
    return this.commands > 0 ? this.bytes / this.commands : undefined;
  }
}

/**
 * Writes a session's bytes to the destination at a rate: each chunk is copied and queued, then written in
 * slices of a tenth of a second's worth as the rate allows, waiting for the destination's socket to drain
 * when it is full. `onIdle` is called once the queue is empty (the source may be read again).
 */
export class PacedWriter {
  private readonly queue: Buffer[] = [];
  private readonly bucket = new RateLimiter(0);
  private timer?: NodeJS.Timeout;
  private waitingDrain = false;
  private closed = false;

  constructor(
    private readonly destination: net.Socket,
    /** The rate now (bytes per second; 0 = unlimited): it follows the stage and the estimates. */
    private readonly rate: () => number,
    private readonly onIdle: () => void,
    /** Bytes handed to the destination's socket. */
    private readonly onSent: (bytes: number) => void = () => {},
  ) {}

  /** Whether bytes are queued (what arrives meanwhile must queue behind them, in order). */
  get active(): boolean {
    return this.queue.length > 0 || this.timer !== undefined || this.waitingDrain;
  }

  write(chunk: Buffer): void {
    this.queue.push(Buffer.from(chunk));
    this.pump();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
  }

  private pump(): void {
    if (this.closed || this.timer || this.waitingDrain) return;
    while (this.queue.length > 0) {
      const rate = this.rate();
      this.bucket.setRate(rate);
      const head = this.queue[0]!;
      const sliceBytes = rate > 0 ? Math.max(1024, Math.floor(rate / 10)) : head.length;
      const piece = head.length <= sliceBytes ? this.queue.shift()! : head.subarray(0, sliceBytes);
      if (piece !== head) this.queue[0] = head.subarray(sliceBytes);
      const wait = this.bucket.take(piece.length);
      if (wait > 0) {
        this.timer = setTimeout(() => {
          this.timer = undefined;
          this.send(piece);
        }, wait);
        return;
      }
      if (!this.send(piece, false)) return;
    }
    this.onIdle();
  }

  /** Writes one slice; false when the destination's socket is full (the pump goes on once it drains). */
  private send(piece: Buffer, thenPump = true): boolean {
    if (this.closed) return false;
    this.onSent(piece.length);
    if (!this.destination.write(piece)) {
      this.waitingDrain = true;
      this.destination.once('drain', () => {
        this.waitingDrain = false;
        this.pump();
      });
      return false;
    }
    if (thenPump) this.pump();
    return true;
  }
}
