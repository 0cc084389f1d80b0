/**
 * Feeds a snapshot (an RDB byte stream) through the parser, the task's filter
 * and the key writer. Knows the snapshot's format (magic), the DB the
 * replication stream starts in (aux repl-stream-db), and counts progress.
 */
import type { EntryFilter } from '../filter';
import { parseRdb } from '../rdb';
import type { RdbEvent, RdbKeyEvent, RdbStringRunEvent } from '../rdb/types';
import { KeyWriter } from '../writer/key-writer';
import type { DestinationWriter } from '../writer/destination';
import { SyncError } from './errors';

export interface SnapshotProgress {
  keysDone: number;
  bytesDone: number;
}

export interface SnapshotLoaderOptions {
  filter: EntryFilter;
  writer: DestinationWriter;
  /** false for "incremental only": the snapshot is read (for its stream position) but not written. */
  write: boolean;
  ttlExtendMs: number;
  /** Values encoded bigger than this are written in batches (the parser's default when undefined). */
  bigKeyThreshold?: number;
  /** false: the stream's CRC-64 is not computed (a stream that ends in a zero checksum). */
  verifyChecksum?: boolean;
  log: (level: 'info' | 'warn', message: string) => void;
  /** Called after each parsed batch; return true to stop reading. */
  onBatch: (progress: SnapshotProgress) => boolean;
}

export class SnapshotLoader {
  private keys?: KeyWriter;
  /** The key being written in batches, when its DB and name pass the filter. */
  private inBigKey = false;
  private streamDb = 0;
  readonly progress: SnapshotProgress = { keysDone: 0, bytesDone: 0 };

  constructor(private readonly opts: SnapshotLoaderOptions) {}

  /**
   * Reads the whole snapshot, then the reader's `after` events (big keys it read in windows);
   * returns the DB the replication stream starts in.
   */
  async load(source: AsyncIterable<Buffer>, after?: () => AsyncIterable<RdbEvent>): Promise<number> {
    const progress = this.progress;
    async function* counted(): AsyncGenerator<Buffer> {
      for await (const chunk of source) {
        progress.bytesDone += chunk.length;
        yield chunk;
      }
    }
    let stopped = false;
    // Runs of plain strings go to MSETs straight from the chunk.
    const stringRuns = this.opts.write;
    // Values are decoded only when a key must be rewritten as commands: RESTORE takes the raw bytes.
    for await (const batch of parseRdb(counted(), { bigKeyThreshold: this.opts.bigKeyThreshold, stringRuns, lazyValues: true, verifyChecksum: this.opts.verifyChecksum })) {
      for (const e of batch) {
        // Whole keys are the bulk of a snapshot: no promise per key unless the writer is full.
        const pending = e.type === 'string-run' ? this.onStringRun(e) : e.type === 'key' ? this.onKey(e) : this.onEvent(e);
        if (pending) await pending;
      }
      if (this.opts.onBatch(this.progress)) {
        stopped = true;
        break;
      }
    }
    if (after && this.opts.write && !stopped) {
      for await (const e of after()) {
        await this.onEvent(e);
        if (e.type !== 'key-batch' && e.type !== 'key-start' && this.opts.onBatch(this.progress)) break;
      }
    }
    await this.keys?.flush();
    return this.streamDb;
  }

  private keyWriter(): KeyWriter {
    if (!this.keys) throw new SyncError('RDB_NO_HEADER', 'the snapshot has keys before its header');
    return this.keys;
  }

  private accepts(e: { db: number; key: Buffer }): boolean {
    return this.opts.filter.acceptsDb(e.db) && this.opts.filter.acceptsKey(e.key);
  }

  private onStringRun(e: RdbStringRunEvent): Promise<void> | undefined {
    const { filter } = this.opts;
    if (!filter.acceptsDb(e.db)) return undefined;
    const spans = e.spans;
    let count = 0;
    for (let i = 0; i < e.count; i++) {
      const j = i * 4;
      if (!filter.acceptsKeyAt(e.buf, spans[j]!, spans[j + 1]!)) continue;
      if (count !== i) spans.copyWithin(count * 4, j, j + 4);
      count++;
    }
    this.progress.keysDone += count;
    return count > 0 ? this.keyWriter().writeStringRun(e.buf, spans, count, filter.mapDb(e.db)) : undefined;
  }

  private onKey(e: RdbKeyEvent): Promise<void> | undefined {
    if (!this.accepts(e)) return undefined;
    this.progress.keysDone++;
    return this.opts.write ? this.keyWriter().writeKey(e, this.opts.filter.mapDb(e.db)) : undefined;
  }

  private async onEvent(e: RdbEvent): Promise<void> {
    const { writer, write, filter } = this.opts;
    switch (e.type) {
      case 'header':
        this.keys = new KeyWriter(writer, e.magic, { ttlExtendMs: this.opts.ttlExtendMs, cluster: writer.masters !== undefined });
        return;
      case 'aux':
        if (e.key === 'repl-stream-db') this.streamDb = Number(e.value.toString('latin1'));
        if (e.key === 'lua' && write) await writer.write(['SCRIPT', 'LOAD', e.value]);
        return;
      case 'function':
        if (!write) return;
        if (!writer.destination.functions) {
          throw new SyncError('FUNCTIONS_UNSUPPORTED', 'the source holds Redis functions, which the destination (older than 7.0) cannot store',
            'use a destination running Redis 7.0 or newer');
        }
        await writer.write(['FUNCTION', 'LOAD', 'REPLACE', e.source]);
        return;
      case 'module-aux':
        this.opts.log('warn', `the snapshot carries module data of ${e.module.name}, which is not copied`);
        return;
      case 'key':
        await this.onKey(e);
        return;
      case 'key-start':
        if (!this.accepts(e)) return;
        this.inBigKey = true;
        this.progress.keysDone++;
        if (write) await this.keyWriter().startBigKey(e, filter.mapDb(e.db));
        return;
      case 'key-batch':
        if (this.inBigKey && write) await this.keyWriter().bigKeyBatch(e);
        return;
      case 'key-end':
        if (this.inBigKey && write) await this.keyWriter().endBigKey(e);
        this.inBigKey = false;
        return;
      default:
        return;
    }
  }
}
