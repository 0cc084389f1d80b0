/**
 * Splits the bytes a master sends to a replica into what they are (REFERENCE §1.3):
 *
 *   reply lines (PING, AUTH, REPLCONF) → `+FULLRESYNC`/`+CONTINUE` status line →
 *   `$<len>\r\n<len RDB bytes>` (disk) or `$EOF:<40-byte mark>\r\n<RDB><mark>` (diskless) →
 *   the command stream.
 *
 * Bare `\n` keepalives are skipped wherever a line is expected (before and after the status
 * line, before `$`). No CRLF follows a disk-mode RDB. The diskless end mark is found by
 * comparing the last 40 bytes received with it, so it may span reads; the 40 most recent
 * bytes are held back until more arrive, so a mark is never delivered as RDB data.
 *
 * Pure: no I/O. RDB and stream chunks are zero-copy views of the pushed chunks, valid during the
 * callback; what the framer keeps between pushes (a partial line, a diskless RDB's last 40 bytes) it
 * copies, so a caller may reuse a chunk's memory once push() returns (the relay reads into one buffer).
 * Handlers may switch the mode from inside a callback (the pump continues in the new mode).
 */
import { RespError } from '../resp/values';

export type RdbFraming = { kind: 'disk'; size: number } | { kind: 'diskless'; mark: string };

export interface FramerHandlers {
  /** A reply line (CRLF stripped) in `reply` and `psync` modes. */
  line(line: string): void;
  /** The RDB header arrived. */
  rdbStart(framing: RdbFraming): void;
  rdbData(chunk: Buffer): void;
  /** The RDB is complete (for diskless, the mark was seen and dropped). */
  rdbEnd(): void;
  /** An error line where the RDB header was expected (`-ERR BGSAVE failed …`). */
  rdbError(line: string): void;
  /** Command-stream bytes. */
  stream(chunk: Buffer): void;
}

type Mode = 'idle' | 'reply' | 'psync' | 'rdb-header' | 'rdb-disk' | 'rdb-eof' | 'stream';

const EMPTY = Buffer.alloc(0);
const MARK_LEN = 40;
/** Longest line accepted where a handshake reply or RDB header is expected. */
const MAX_LINE = 64 * 1024;

function frameError(message: string): RespError {
  return new RespError('RESP_PROTOCOL', `replication protocol error: ${message}`,
    'the peer does not speak the Redis replication protocol (wrong port or service?)');
}

export class ReplicationFramer {
  private mode: Mode = 'reply';
  /** Bytes received and not yet consumed (only non-empty in line modes and `idle`). */
  private buf: Buffer = EMPTY;
  private pumping = false;
  private diskRemaining = 0;
  private mark: Buffer = EMPTY;
  private tail: Buffer = EMPTY;

  constructor(private readonly h: FramerHandlers) {}

  get currentMode(): Mode {
    return this.mode;
  }

  /** Reply lines go to `line()` until another mode is chosen (the initial mode). */
  expectReplies(): void {
    this.setMode('reply');
  }

  /**
   * The next line is the PSYNC status: `+FULLRESYNC` switches to the RDB, `+CONTINUE` to the
   * stream, anything else to `idle` (the caller then picks, e.g. `expectRdb()` after SYNC).
   */
  expectPsyncReply(): void {
    this.setMode('psync');
  }

  /** An RDB header is next (after SYNC). */
  expectRdb(): void {
    this.setMode('rdb-header');
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    this.pump();
    // Kept for the next push: a copy (line modes only; the data modes leave nothing).
    if (this.buf.length > 0 && this.buf.buffer === chunk.buffer) this.buf = Buffer.from(this.buf);
  }

  private setMode(mode: Mode): void {
    this.mode = mode;
    this.pump();
  }

  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.buf.length > 0) {
        switch (this.mode) {
          case 'idle':
            if (this.buf.length > MAX_LINE) throw frameError('unexpected data while no reply was expected');
            return;
          case 'reply':
          case 'psync':
          case 'rdb-header':
            if (!this.nextLine()) return;
            break;
          case 'rdb-disk': {
            const b = this.buf;
            const n = Math.min(this.diskRemaining, b.length);
            this.buf = b.subarray(n);
            this.diskRemaining -= n;
            if (n > 0) this.h.rdbData(b.subarray(0, n));
            if (this.diskRemaining === 0) {
              this.mode = 'stream';
              this.h.rdbEnd();
            }
            break;
          }
          case 'rdb-eof': {
            const b = this.buf;
            this.buf = EMPTY;
            this.eofData(b);
            break;
          }
          case 'stream': {
            const b = this.buf;
            this.buf = EMPTY;
            this.h.stream(b);
            break;
          }
        }
      }
    } finally {
      this.pumping = false;
    }
  }

  /** Consumes one line in a line mode; false when no complete line is buffered. */
  private nextLine(): boolean {
    const b = this.buf;
    const nl = b.indexOf(10);
    if (nl < 0) {
      if (b.length > MAX_LINE) throw frameError(`no line end within ${MAX_LINE} bytes where a reply was expected`);
      return false;
    }
    const end = nl > 0 && b[nl - 1] === 13 ? nl - 1 : nl;
    const line = b.toString('utf8', 0, end);
    this.buf = b.subarray(nl + 1);
    if (line.length === 0) return true; // keepalive newline
    if (this.mode === 'reply') {
      this.h.line(line);
    } else if (this.mode === 'psync') {
      if (line.startsWith('+FULLRESYNC')) this.mode = 'rdb-header';
      else if (line.startsWith('+CONTINUE')) this.mode = 'stream';
      else this.mode = 'idle';
      this.h.line(line);
    } else {
      this.rdbHeader(line);
    }
    return true;
  }

  private rdbHeader(line: string): void {
    if (line.startsWith('$EOF:')) {
      const mark = line.slice(5);
      if (mark.length !== MARK_LEN) throw frameError(`diskless RDB end mark of ${mark.length} bytes instead of ${MARK_LEN}`);
      this.mark = Buffer.from(mark, 'latin1');
      this.tail = EMPTY;
      this.mode = 'rdb-eof';
      this.h.rdbStart({ kind: 'diskless', mark });
      return;
    }
    if (line[0] === '$') {
      const digits = line.slice(1);
      if (!/^\d{1,16}$/.test(digits)) throw frameError(`invalid RDB length line "${line.slice(0, 60)}"`);
      const size = Number(digits);
      this.diskRemaining = size;
      this.mode = 'rdb-disk';
      this.h.rdbStart({ kind: 'disk', size });
      if (size === 0) {
        this.mode = 'stream';
        this.h.rdbEnd();
      }
      return;
    }
    if (line[0] === '-') {
      this.mode = 'idle';
      this.h.rdbError(line.slice(1));
      return;
    }
    throw frameError(`expected the RDB header ($<length> or $EOF:<mark>), got "${line.slice(0, 60)}"`);
  }

  /** Diskless body: everything but the last 40 bytes received is RDB; when those equal the mark, the RDB ends. */
  private eofData(chunk: Buffer): void {
    if (chunk.length >= MARK_LEN) {
      if (this.tail.length > 0) this.h.rdbData(this.tail);
      if (chunk.length > MARK_LEN) this.h.rdbData(chunk.subarray(0, chunk.length - MARK_LEN));
      this.tail = Buffer.from(chunk.subarray(chunk.length - MARK_LEN));
    } else {
      const joined = Buffer.concat([this.tail, chunk]);
      const cut = Math.max(0, joined.length - MARK_LEN);
      if (cut > 0) this.h.rdbData(joined.subarray(0, cut));
      this.tail = joined.subarray(cut);
    }
    if (this.tail.length === MARK_LEN && this.tail.equals(this.mark)) {
      this.tail = EMPTY;
      this.mode = 'stream';
      this.h.rdbEnd();
    }
  }
}

const GETACK = Buffer.from('\r\n$6\r\nGETACK\r\n');
/** Bytes of `$1\r\n*\r\n` that complete `REPLCONF GETACK *` after the matched part. */
const GETACK_REST = 7;

/**
 * Spots `REPLCONF GETACK *` in raw stream bytes, across reads, without parsing them, so the
 * link can ACK at once even while its consumer is far behind. `push` returns true when an ACK
 * is due: the whole GETACK command has been received. A value that happens to contain the
 * same bytes only causes one extra (harmless) ACK.
 */
export class GetackWatch {
  private tail: Buffer = EMPTY;
  private received = 0;
  private due = -1;

  push(chunk: Buffer): boolean {
    const before = this.received;
    this.received += chunk.length;
    const tail = this.tail;
    if (tail.length > 0) {
      const joint = Buffer.concat([tail, chunk.subarray(0, GETACK.length - 1)]);
      const i = joint.indexOf(GETACK);
      if (i >= 0) this.due = Math.max(this.due, before - tail.length + i + GETACK.length + GETACK_REST);
    }
    const j = chunk.lastIndexOf(GETACK);
    if (j >= 0) this.due = Math.max(this.due, before + j + GETACK.length + GETACK_REST);
    const keep = GETACK.length - 1;
    this.tail = chunk.length >= keep ? chunk.subarray(chunk.length - keep) : Buffer.concat([tail, chunk]).subarray(-keep);
    if (this.due >= 0 && this.received >= this.due) {
      this.due = -1;
      return true;
    }
    return false;
  }
}
