/**
 * One DB's keys, read ahead of the loader: SCAN and the batch reads run while the loader
 * writes what was read before, at most `depth` batches (plus one SCAN's worth) read or being
 * read at once (the memory bound). Batches come out in SCAN order.
 */
import type { KeyRead } from './dump-rdb';
import type { ReadHow, SourceReads } from './source-reads';

/**
 * Keys a SCAN call asks for, split into reads of READ_BATCH. A SCAN waits on the source behind
 * the reads already sent, and the next cannot be sent before it returns (its cursor): one SCAN
 * must feed several reads, or the source idles between them.
 */
const SCAN_AHEAD_COUNT = 5000;
const READ_BATCH = 1000;

export class ReadAhead implements AsyncIterable<KeyRead[]> {
  private readonly ready: Promise<KeyRead[]>[] = [];
  private done = false;
  private failure?: unknown;
  private wakeConsumer?: () => void;
  private wakeProducer?: () => void;
  private stopped = false;

  constructor(private readonly reads: SourceReads, private readonly db: number, private readonly accepts: (key: Buffer) => boolean,
    private readonly depth: number, private readonly how: ReadHow = {}) {
    void this.produce();
  }

  private async produce(): Promise<void> {
    let cursor = '0';
    try {
      do {
        while (this.ready.length >= this.depth && !this.stopped) await new Promise<void>((r) => { this.wakeProducer = r; });
        if (this.stopped) break;
        const step = await this.reads.scan(this.db, cursor, SCAN_AHEAD_COUNT);
        cursor = step.cursor;
        const keys = step.keys.filter(this.accepts);
        for (let i = 0; i < keys.length; i += READ_BATCH) {
          const read = this.reads.read(this.db, keys.slice(i, i + READ_BATCH), this.how);
          read.catch(() => undefined); // taken in order by the consumer; a failure meanwhile must not go unhandled
          this.ready.push(read);
        }
        if (keys.length > 0) this.wakeConsumer?.();
      } while (cursor !== '0');
    } catch (err) {
      this.failure = err;
    }
    this.done = true;
    this.wakeConsumer?.();
  }

  /** Stops scanning (reads already asked for still settle). */
  stop(): void {
    this.stopped = true;
    this.wakeProducer?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<KeyRead[]> {
    try {
      for (;;) {
        const next = this.ready.shift();
        if (next) {
          this.wakeProducer?.();
          yield await next;
          continue;
        }
        if (this.failure) throw this.failure;
        if (this.done) return;
        await new Promise<void>((r) => { this.wakeConsumer = r; });
      }
    } finally {
      this.stop();
    }
  }
}
