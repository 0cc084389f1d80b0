/**
 * Reads an RDB file (a backup restored into the destination). A damaged file
 * is refused before anything is written: most damage (a flipped bit, a cut end)
 * only shows at the CRC-64 trailer, after every key was read — so the whole file
 * is parsed once without writing, then loaded.
 */
import fs from 'node:fs';
import { parseRdbFile, RdbError } from '../../rdb';
import { unwritableKey } from '../../writer/key-writer';
import { SyncError } from '../errors';
import type { SourceReader, SyncPipeline } from './reader';

export class RdbFileReader implements SourceReader {
  constructor(private readonly pipeline: SyncPipeline, private readonly file: string) {}

  delayMs(): null {
    return null;
  }

  interrupt(): void {
    // Nothing to wait on: the next write meets the writer's failure.
  }

  async stop(): Promise<void> {
    // The pipeline's `stopping` ends the load at the next batch.
  }

  async close(): Promise<void> {
    // No connection of its own.
  }

  async run(): Promise<void> {
    const { pipeline, file } = this;
    let size: number;
    try {
      size = fs.statSync(file).size;
    } catch (err) {
      throw new SyncError('RDB_FILE', `cannot read the RDB file ${file}: ${(err as Error).message}`, 'check the path and its permissions');
    }
    pipeline.state.rdbBytesTotal = size;
    if ((pipeline.options.conflict ?? 'block') === 'block') await pipeline.checkDestinationEmpty();
    pipeline.setStage('waiting-snapshot');
    pipeline.log('info', `checking ${file} (${size} bytes)`);
    await this.verify();
    pipeline.setStage('full');
    await pipeline.restoreSnapshot(fs.createReadStream(file, { highWaterMark: 1024 * 1024 }), size);
    if (pipeline.stopping) {
      pipeline.log('warn', `ended before the whole file was restored: ${pipeline.state.keysDone} keys written`);
      pipeline.setStage('ended');
      return;
    }
    pipeline.state.fullPercent = 100;
    pipeline.setStage('completed');
  }

  /** The whole file parsed without writing: a damaged file or a key the destination cannot hold fails the task first. */
  private async verify(): Promise<void> {
    const { pipeline, file } = this;
    const dest = pipeline.writer.destination;
    try {
      for await (const batch of parseRdbFile(file, { bigKeyThreshold: pipeline.options.hooks?.bigKeyThreshold, highWaterMark: 1024 * 1024 })) {
        for (const e of batch) {
          if (e.type !== 'key' || !pipeline.filter.acceptsDb(e.db) || !pipeline.filter.acceptsKey(e.key)) continue;
          const refusal = unwritableKey(e, dest);
          if (refusal) throw refusal;
        }
        if (pipeline.stopping) return;
      }
    } catch (err) {
      if (!(err instanceof RdbError)) throw err;
      throw new SyncError(err.code, `the RDB file ${file} is not usable, nothing was written: ${err.message}`, err.hint, { cause: err });
    }
  }
}
