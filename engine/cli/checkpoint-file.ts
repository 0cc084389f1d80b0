/**
 * `--checkpoint-file FILE`: where a headless run keeps its task id and each
 * source shard's position, so a CLI killed with `kill -9` and started again
 * with the same file continues the same task by partial resync. The file is
 * written atomically (a temporary file, fsync, rename): a crash leaves the old
 * one or the new one, never half of either. The destination's own record of the
 * task (engine/sync/destination-record.ts) is what makes the resume exact; the
 * file names the task and gives the position when the destination has none.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ShardCheckpoint } from '../sync/types';
import { UsageError } from './args';

export interface CheckpointFileContents {
  version: 1;
  taskId: string;
  /** Position per shard name (the source's host:port, or a cluster shard's slot ranges). */
  shards: Record<string, { replid: string; offset: number; db: number }>;
}

/** The file's contents, or undefined when it does not exist yet. */
export function readCheckpointFile(file: string): CheckpointFileContents | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new UsageError(`--checkpoint-file: cannot read ${file}: ${(err as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new UsageError(`--checkpoint-file: ${file} is not a checkpoint file of this tool (not JSON)`);
  }
  const c = data as Partial<CheckpointFileContents>;
  if (c.version !== 1 || typeof c.taskId !== 'string' || !c.taskId || typeof c.shards !== 'object' || c.shards === null) {
    throw new UsageError(`--checkpoint-file: ${file} is not a checkpoint file of this tool`);
  }
  return { version: 1, taskId: c.taskId, shards: c.shards };
}

export class CheckpointFile {
  private readonly contents: CheckpointFileContents;

  constructor(private readonly file: string, taskId: string, shards: CheckpointFileContents['shards'] = {}) {
    this.contents = { version: 1, taskId, shards: { ...shards } };
  }

  /** A shard's new position; the file is rewritten when it changed. */
  update(c: ShardCheckpoint): void {
    const now = this.contents.shards[c.shard];
    if (now && now.replid === c.replid && now.offset === c.offset && now.db === c.db) return;
    this.contents.shards[c.shard] = { replid: c.replid, offset: c.offset, db: c.db };
    this.write();
  }

  write(): void {
    const dir = path.dirname(path.resolve(this.file));
    const temp = path.join(dir, `.${path.basename(this.file)}.${process.pid}.tmp`);
    const fd = fs.openSync(temp, 'w', 0o600);
    try {
      fs.writeSync(fd, `${JSON.stringify(this.contents, null, 2)}\n`);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temp, this.file);
  }
}
