/**
 * Running a SyncTask in a test: sources started so a replica's full sync begins at
 * once, the task run in the background with its logs and stages recorded, and
 * waiting for a stage or for the checkpoint to reach the source's offset.
 */
import type Redis from 'ioredis';
import { parseRedisUrl, type RedisEndpoint } from '../../endpoint';
import { masterReplOffset } from '../../testing/redis-info';
import { RedisServer, type RedisServerOptions } from '../../testing/redis-server';
import { waitFor } from '../../testing/wait';
import { SyncTask } from '../sync-task';
import type { SyncLogLevel, SyncOptions, SyncProgress, SyncStage } from '../types';

/** A source whose replicas get their snapshot without the diskless delay. */
export function startSource(opts: RedisServerOptions = {}): Promise<RedisServer> {
  return RedisServer.start({ ...opts, config: { 'repl-diskless-sync-delay': 0, ...opts.config } });
}

export function endpointOf(server: RedisServer): RedisEndpoint {
  return parseRedisUrl(server.url);
}

export interface RunningTask {
  task: SyncTask;
  /** Settles when run() does; never rejects (see `error`). */
  done: Promise<void>;
  error: () => unknown;
  finished: () => boolean;
  logs: { level: SyncLogLevel; message: string }[];
  stages: SyncStage[];
  logText: () => string;
}

let taskCounter = 0;

/** Starts `task.run()` in the background and records what it reports. */
export function runTask(opts: Omit<SyncOptions, 'taskId'> & { taskId?: string }): RunningTask {
  const task = new SyncTask({
    taskId: `t${process.pid}x${++taskCounter}`,
    connectionRetryMs: 20_000,
    otherRetryMs: 20_000,
    ...opts,
  });
  const logs: RunningTask['logs'] = [];
  const stages: SyncStage[] = [];
  task.on('log', (level, message) => logs.push({ level, message }));
  task.on('stage', (s) => stages.push(s));
  let error: unknown;
  let finished = false;
  const done = task.run().then(
    () => {
      finished = true;
    },
    (err: unknown) => {
      error = err;
      finished = true;
    },
  );
  return {
    task, done, logs, stages,
    error: () => error,
    finished: () => finished,
    logText: () => logs.map((l) => `${l.level}: ${l.message}`).join('\n'),
  };
}

/** Waits until the destination has acknowledged everything the source had written when this was called. */
export async function waitCaughtUp(run: RunningTask, source: Redis, timeoutMs = 20_000): Promise<void> {
  const target = await masterReplOffset(source);
  await waitFor(() => {
    if (run.finished()) throw new Error(`the task stopped (${String(run.error())}) before catching up:\n${run.logText()}`);
    return (run.task.progress.checkpoint?.offset ?? -1) >= target;
  }, timeoutMs, () => `the checkpoint (${run.task.progress.checkpoint?.offset}) to reach source offset ${target}; stage ${run.task.progress.stage}`);
}

export async function waitStage(run: RunningTask, stage: SyncStage, timeoutMs = 20_000): Promise<void> {
  await waitFor(() => {
    if (run.finished() && run.task.progress.stage !== stage) {
      throw new Error(`the task ended in stage ${run.task.progress.stage} (${String(run.error())}) before reaching ${stage}:\n${run.logText()}`);
    }
    return run.task.progress.stage === stage;
  }, timeoutMs, `stage ${stage}`);
}

/** Ends the task and waits for run() to return; fails the test if it threw. */
export async function endTask(run: RunningTask): Promise<SyncProgress> {
  await run.task.stop();
  await run.done;
  if (run.error()) throw run.error();
  return run.task.progress;
}
