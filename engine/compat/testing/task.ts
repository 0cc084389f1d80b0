/**
 * A sync task run in the background for the compatibility suite (kept here rather than shared
 * with the sync tests' helpers, which are being moved).
 */
import type Redis from 'ioredis';
import { parseRedisUrl } from '../../endpoint';
import type { FilterOptions } from '../../filter';
import type { RedisServer } from '../../testing/redis-server';
import { SyncTask, type SyncStage } from '../../sync/sync-task';

export interface CompatTask {
  task: SyncTask;
  done: Promise<void>;
  error: () => unknown;
  finished: () => boolean;
  logText: () => string;
}

let counter = 0;

export function startTask(source: RedisServer, target: RedisServer, filter: FilterOptions): CompatTask {
  const task = new SyncTask({
    taskId: `compat${process.pid}x${++counter}`,
    source: parseRedisUrl(source.url),
    target: parseRedisUrl(target.url),
    filter,
    connectionRetryMs: 10_000,
    otherRetryMs: 10_000,
  });
  const logs: string[] = [];
  task.on('log', (level, message) => logs.push(`${level}: ${message}`));
  let error: unknown;
  let finished = false;
  const done = task.run().then(() => { finished = true; }, (err: unknown) => { error = err; finished = true; });
  return { task, done, error: () => error, finished: () => finished, logText: () => logs.join('\n') };
}

async function waitFor(cond: () => boolean | Promise<boolean>, ms: number, what: () => string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export async function waitStage(run: CompatTask, stage: SyncStage, ms = 30_000): Promise<void> {
  await waitFor(() => {
    if (run.finished() && run.task.progress.stage !== stage) {
      throw new Error(`the task ended (${String(run.error())}) before reaching ${stage}:\n${run.logText()}`);
    }
    return run.task.progress.stage === stage;
  }, ms, () => `stage ${stage} (now ${run.task.progress.stage})`);
}

export async function masterOffset(c: Redis): Promise<number> {
  const m = /^master_repl_offset:(\d+)/m.exec(String(await c.info('replication')));
  return Number(m?.[1] ?? 0);
}

/** Until the destination has acknowledged everything the source had written when called. */
export async function waitCaughtUp(run: CompatTask, source: Redis, ms = 30_000): Promise<void> {
  const target = await masterOffset(source);
  await waitFor(() => {
    if (run.finished()) throw new Error(`the task stopped (${String(run.error())}) before catching up:\n${run.logText()}`);
    return (run.task.progress.checkpoint?.offset ?? -1) >= target;
  }, ms, () => `checkpoint ${run.task.progress.checkpoint?.offset} to reach ${target}`);
}

/** Until the task fails by itself; returns its error. */
export async function waitFailed(run: CompatTask, ms = 30_000): Promise<unknown> {
  await waitFor(() => run.finished(), ms, () => `the task to fail (stage ${run.task.progress.stage})`);
  return run.error();
}

export async function endTask(run: CompatTask): Promise<void> {
  await run.task.stop();
  await run.done;
  if (run.error()) throw run.error();
}
