/**
 * A sync task between two servers of the compatibility suite: the sync tests' own
 * background run (sync/testing/run-task.ts), plus waiting for a task that must fail.
 */
import { parseRedisUrl } from '../../endpoint';
import type { FilterOptions } from '../../filter';
import type { RedisServer } from '../../testing/redis-server';
import { waitFor } from '../../testing/wait';
import { runTask, type RunningTask } from '../../sync/testing/run-task';

export { endTask, waitCaughtUp, waitStage } from '../../sync/testing/run-task';
export type CompatTask = RunningTask;

export function startTask(source: RedisServer, target: RedisServer, filter: FilterOptions): CompatTask {
  return runTask({ source: parseRedisUrl(source.url), target: parseRedisUrl(target.url), filter, connectionRetryMs: 10_000, otherRetryMs: 10_000 });
}

/** Until the task fails by itself; returns its error. */
export async function waitFailed(run: CompatTask, ms = 30_000): Promise<unknown> {
  await waitFor(() => run.finished(), ms, () => `the task to fail (stage ${run.task.progress.stage})`);
  return run.error();
}
