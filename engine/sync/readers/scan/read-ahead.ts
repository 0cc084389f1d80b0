/**
 * One DB's keys, read ahead of the loader: SCAN and the batch reads run while the loader
 * writes what was read before, at most `depth` batches (plus one SCAN's worth) read or being
 * read at once (the memory bound). Batches come out in SCAN order.
 */
import type { KeyBatch, ReadHow, ScanKeys, SourceReads } from './source-reads';

/**
 * Keys a SCAN call asks for, split into reads of READ_BATCH. A SCAN waits on the source behind
 * the reads already sent, and the next cannot be sent before it returns (its cursor): one SCAN
 * must feed several reads, or the source idles between them.
 */
const SCAN_AHEAD_COUNT = 5000;
const READ_BATCH = 1000;

export class ReadAhead implements AsyncIterable<KeyBatch> {
  private readonly ready: Promise<KeyBatch>[] = [];
  private done = false;
  private failure?: unknown;
  private wakeConsumer?: () => void;
  private wakeProducer?: () => void;
  private stopped = false;

  /** `accepts`: whether the task's filter takes the key buf[start, start+len). */
  constructor(private readonly reads: SourceReads, private readonly db: number, private readonly accepts: (buf: Buffer, start: number, len: number) => boolean,
    private readonly depth: number, private readonly how: ReadHow = {}) {
    void this.produce();
  }

  /** Batches of one SCAN step read by `readRaw` (the keys left in the SCAN reply's bytes), or by `read`. */
  private async step(cursor: string): Promise<{ cursor: string; batches: Promise<KeyBatch>[] }> {
    const batches: Promise<KeyBatch>[] = [];
    if (this.reads.readsRaw(this.how)) {
      const step = await this.reads.scanRaw(this.db, cursor, SCAN_AHEAD_COUNT);
      const { raw, spans } = step.keys;
      let count = 0;
      for (let i = 0; i < step.keys.count; i++) {
        const j = i * 3;
        if (!this.accepts(raw, spans[j + 1]!, spans[j + 2]!)) continue;
        if (count !== i) spans.copyWithin(count * 3, j, j + 3);
        count++;
      }
      for (let i = 0; i < count; i += READ_BATCH) {
        const n = Math.min(READ_BATCH, count - i);
        batches.push(this.reads.readRaw(this.db, { raw, spans: spans.subarray(i * 3, (i + n) * 3), count: n } satisfies ScanKeys, this.how));
      }
      return { cursor: step.cursor, batches };
    }
    const step = await this.reads.scan(this.db, cursor, SCAN_AHEAD_COUNT);
    const keys = step.keys.filter((k) => this.accepts(k, 0, k.length));
    for (let i = 0; i < keys.length; i += READ_BATCH) {
      batches.push(this.reads.read(this.db, keys.slice(i, i + READ_BATCH), this.how).then((reads) => ({ reads })));
    }
    return { cursor: step.cursor, batches };
  }

  private async produce(): Promise<void> {
    let cursor = '0';
    try {
      do {
        while (this.ready.length >= this.depth && !this.stopped) await new Promise<void>((r) => { this.wakeProducer = r; });
        if (this.stopped) break;
        const step = await this.step(cursor);
        cursor = step.cursor;
        for (const read of step.batches) {
          read.catch(() => undefined); // taken in order by the consumer; a failure meanwhile must not go unhandled
          this.ready.push(read);
        }
        if (step.batches.length > 0) this.wakeConsumer?.();
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

  async *[Symbol.asyncIterator](): AsyncGenerator<KeyBatch> {
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
