/**
 * A FIFO byte spool between a socket that must always be drained and a consumer that may be
 * slow. Bytes are kept in memory up to a budget; beyond it they are appended to segment files
 * in the spool directory and read back in order. A segment file is deleted as soon as it has
 * been read (and all files on `close()`), so the disk holds at most the unread bytes plus one
 * partly read segment. Past the hard disk bound `push` throws a LinkError SPOOL_FULL.
 *
 * Ordering: while any bytes sit on disk, new bytes go to disk too; memory is used again once
 * the files are drained, so memory always holds bytes older than those on disk.
 *
 * File writes are synchronous (called from the socket's data handler, so a write can never
 * reorder with the next chunk; they land in the page cache). Reads are asynchronous.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LinkError } from './errors';

/**
 * A spool folder for a task that was given none (a CLI run): made by mkdtemp under the system's temporary
 * folder, so its name cannot be guessed beforehand and only this user can enter it (0700). The stream it
 * holds is the source's data; the console's tasks spool under its data folder instead.
 */
export function temporarySpoolDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'redis-dts-spool-'));
}

export interface SpoolOptions {
  /** Directory for overflow files (created if missing). */
  dir: string;
  /** Bytes held in memory before spilling to disk. */
  memoryBytes: number;
  /** Hard bound on bytes on disk; past it `push` throws SPOOL_FULL. */
  maxDiskBytes: number;
  /** Size at which a new segment file is started (default 64 MB). */
  segmentBytes?: number;
  /** Largest chunk read back from disk at once (default 1 MB). */
  readBytes?: number;
  /** Names files and messages (e.g. the master's host:port). */
  label?: string;
}

export interface SpoolStats {
  memoryBytes: number;
  diskBytes: number;
  pushedBytes: number;
  readBytes: number;
  /** Bytes that went through a file. */
  spilledBytes: number;
  peakMemoryBytes: number;
  peakDiskBytes: number;
  filesCreated: number;
  filesOpen: number;
}

interface Segment {
  path: string;
  fd: number;
  size: number;
  readPos: number;
}

const EMPTY = Buffer.alloc(0);
let fileSeq = 0;

function readAt(fd: number, buf: Buffer, position: number): Promise<number> {
  return new Promise((resolve, reject) => {
    fs.read(fd, buf, 0, buf.length, position, (err, n) => (err ? reject(err) : resolve(n)));
  });
}

function fmtBytes(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(1)} GB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)} MB`;
  return `${n} bytes`;
}

export class ByteSpool {
  private readonly dir: string;
  private readonly memoryBudget: number;
  private readonly maxDisk: number;
  private readonly segmentBytes: number;
  private readonly readChunk: number;
  private readonly label: string;

  private mem: Buffer[] = [];
  private memHead = 0;
  private memBytes = 0;
  private segs: Segment[] = [];
  private diskBytes = 0;

  private ended = false;
  private failure: Error | null = null;
  private closed = false;
  private reading = false;
  /** A descriptor whose close waits for the read in flight on it. */
  private deferredClose = -1;
  private interrupted = false;
  private waiter: (() => void) | null = null;
  private readonly s = { pushedBytes: 0, readBytes: 0, spilledBytes: 0, peakMemoryBytes: 0, peakDiskBytes: 0, filesCreated: 0 };

  constructor(opts: SpoolOptions) {
    this.dir = opts.dir;
    this.memoryBudget = opts.memoryBytes;
    this.maxDisk = opts.maxDiskBytes;
    this.segmentBytes = opts.segmentBytes ?? 64 * 1024 * 1024;
    this.readChunk = opts.readBytes ?? 1024 * 1024;
    this.label = opts.label ?? 'spool';
  }

  stats(): SpoolStats {
    return { ...this.s, memoryBytes: this.memBytes, diskBytes: this.diskBytes, filesOpen: this.segs.length };
  }

  /** Bytes pushed and not yet read. */
  get buffered(): number {
    let disk = 0;
    for (const seg of this.segs) disk += seg.size - seg.readPos;
    return this.memBytes + disk;
  }

  /** Appends bytes (synchronously). Throws LinkError SPOOL_FULL past the disk bound or on a write failure. */
  push(chunk: Buffer): void {
    if (this.closed || chunk.length === 0) return;
    if (this.ended) throw new Error('ByteSpool.push after end()');
    if (this.segs.length === 0 && this.memBytes + chunk.length <= this.memoryBudget) {
      this.mem.push(chunk);
      this.memBytes += chunk.length;
      if (this.memBytes > this.s.peakMemoryBytes) this.s.peakMemoryBytes = this.memBytes;
    } else {
      this.spill(chunk);
    }
    this.s.pushedBytes += chunk.length;
    this.notify();
  }

  /** No more bytes will come; `err` (if any) is thrown by `read()` once everything before it was read. */
  end(err?: Error): void {
    if (this.ended || this.closed) return;
    this.ended = true;
    this.failure = err ?? null;
    this.notify();
  }

  /** Makes the pending (or next) `read()` return an empty Buffer, so the reader re-checks its own state. */
  interrupt(): void {
    this.interrupted = true;
    this.notify();
  }

  /**
   * The next bytes in order: a Buffer (empty after `interrupt()`), or null once ended and
   * drained or closed. Rejects with the `end(err)` error after the bytes before it. One reader at a time.
   */
  async read(): Promise<Buffer | null> {
    for (;;) {
      if (this.closed) return null;
      if (this.interrupted) {
        this.interrupted = false;
        return EMPTY;
      }
      if (this.memHead < this.mem.length) {
        const chunk = this.mem[this.memHead]!;
        this.mem[this.memHead++] = EMPTY;
        if (this.memHead === this.mem.length) {
          this.mem = [];
          this.memHead = 0;
        } else if (this.memHead > 1024 && this.memHead * 2 > this.mem.length) {
          this.mem = this.mem.slice(this.memHead);
          this.memHead = 0;
        }
        this.memBytes -= chunk.length;
        this.s.readBytes += chunk.length;
        return chunk;
      }
      if (this.segs.length > 0) {
        const chunk = await this.readDisk();
        if (chunk !== null) return chunk;
        continue;
      }
      if (this.failure !== null) throw this.failure;
      if (this.ended) return null;
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
      });
    }
  }

  /** Discards everything, deletes the files, and makes `read()` return null. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.mem = [];
    this.memHead = 0;
    this.memBytes = 0;
    const segs = this.segs;
    this.segs = [];
    this.diskBytes = 0;
    segs.forEach((seg, i) => {
      // A read in flight on the first segment closes its descriptor when it returns.
      if (!(i === 0 && this.reading)) fs.closeSync(seg.fd);
      fs.rmSync(seg.path, { force: true });
    });
    if (this.reading && segs[0]) this.deferredClose = segs[0].fd;
    this.notify();
  }

  private notify(): void {
    const w = this.waiter;
    if (w !== null) {
      this.waiter = null;
      w();
    }
  }

  private spill(chunk: Buffer): void {
    if (this.diskBytes + chunk.length > this.maxDisk) {
      throw new LinkError('SPOOL_FULL',
        `The spool for ${this.label} reached its disk limit of ${fmtBytes(this.maxDisk)} in ${this.dir}: the consumer is too far behind the master`,
        'the destination is slower than the source for too long; raise the spool disk limit or the destination\'s capacity, then resume');
    }
    let seg = this.segs[this.segs.length - 1];
    if (seg === undefined || seg.size >= this.segmentBytes) seg = this.openSegment();
    try {
      let off = 0;
      while (off < chunk.length) off += fs.writeSync(seg.fd, chunk, off, chunk.length - off, seg.size + off);
    } catch (err) {
      throw new LinkError('SPOOL_FULL', `Cannot write the spool file ${seg.path} for ${this.label}: ${(err as Error).message}`,
        'free disk space in the spool directory or point it at a larger disk', { cause: err });
    }
    seg.size += chunk.length;
    this.diskBytes += chunk.length;
    this.s.spilledBytes += chunk.length;
    if (this.diskBytes > this.s.peakDiskBytes) this.s.peakDiskBytes = this.diskBytes;
  }

  private openSegment(): Segment {
    // Only this user may read the stream back: folders made here are 0700, files 0600.
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const safe = this.label.replace(/[^A-Za-z0-9_.-]+/g, '_');
    const file = path.join(this.dir, `${safe}-${process.pid}-${Date.now().toString(36)}-${fileSeq++}.spool`);
    let fd: number;
    try {
      fd = fs.openSync(file, 'wx+', 0o600);
    } catch (err) {
      throw new LinkError('SPOOL_FULL', `Cannot create a spool file in ${this.dir} for ${this.label}: ${(err as Error).message}`,
        'check that the spool directory exists, is writable and has free space', { cause: err });
    }
    const seg: Segment = { path: file, fd, size: 0, readPos: 0 };
    this.segs.push(seg);
    this.s.filesCreated++;
    return seg;
  }

  /** Reads the next piece of the first segment; null when that segment was finished and dropped. */
  private async readDisk(): Promise<Buffer | null> {
    const seg = this.segs[0]!;
    if (seg.readPos >= seg.size) {
      this.dropFirst();
      return null;
    }
    const buf = Buffer.allocUnsafe(Math.min(this.readChunk, seg.size - seg.readPos));
    this.reading = true;
    let n: number;
    try {
      n = await readAt(seg.fd, buf, seg.readPos);
    } catch (err) {
      if (this.closed) return null;
      throw new LinkError('SPOOL_FULL', `Cannot read back the spool file ${seg.path} for ${this.label}: ${(err as Error).message}`,
        'check the spool directory\'s disk', { cause: err });
    } finally {
      this.reading = false;
      if (this.deferredClose >= 0) {
        fs.closeSync(this.deferredClose);
        this.deferredClose = -1;
      }
    }
    if (this.closed) return null;
    if (n === 0) throw new LinkError('SPOOL_FULL', `The spool file ${seg.path} for ${this.label} is shorter than written`);
    seg.readPos += n;
    this.s.readBytes += n;
    if (seg.readPos >= seg.size) this.dropFirst();
    return n === buf.length ? buf : buf.subarray(0, n);
  }

  private dropFirst(): void {
    const seg = this.segs.shift()!;
    this.diskBytes -= seg.size;
    fs.closeSync(seg.fd);
    fs.rmSync(seg.path, { force: true });
  }
}
