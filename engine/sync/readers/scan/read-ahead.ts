/**
 * One DB's keys, read ahead of the loader: SCAN and the batch reads run while the loader
 * writes what was read before, at most `depth` batches read or being read at once (the
 * memory bound). Batches come out in SCAN order.
 */
import type { KeyRead } from './dump-rdb';
import type { SourceReads } from './source-reads';

export class ReadAhead implements AsyncIterable<KeyRead[]> {
  private readonly ready: Promise<KeyRead[]>[] = [];
  private done = false;
  private failure?: unknown;
  private wakeConsumer?: () => void;
  private wakeProducer?: () => void;
  private stopped = false;

  constructor(private readonly reads: SourceReads, private readonly db: number, private readonly accepts: (key: Buffer) => boolean,
    private readonly depth: number) {
    void this.produce();
  }

  private async produce(): Promise<void> {
    let cursor = '0';
    try {
      do {
        while (this.ready.length >= this.depth && !this.stopped) await new Promise<void>((r) => { this.wakeProducer = r; });
        if (this.stopped) break;
        const step = await this.reads.scan(this.db, cursor);
        cursor = step.cursor;
        const keys = step.keys.filter(this.accepts);
        if (keys.length === 0) continue;
        const read = this.reads.read(this.db, keys);
        read.catch(() => undefined); // taken in order by the consumer; a failure meanwhile must not go unhandled
        this.ready.push(read);
        this.wakeConsumer?.();
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
