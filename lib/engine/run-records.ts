/**
 * What one run of a task's engine writes while it runs, as the engine manager sees it. A run is
 * the whole task (the console's own engine: taskRunRecords, task-records.ts) or, in distributed
 * mode, one source shard of it on a worker (queue/shard-records.ts: the shard's row, fenced by
 * its lease, with the task's status and progress rolled up from its shards').
 */
import type { ShardCheckpoint, SyncLogLevel, SyncProgress } from '@/engine/sync/types';
import type { TaskStatus } from '@/lib/tasks/status';
import * as records from './task-records';

export interface RunRecords {
  log(level: SyncLogLevel, message: string): Promise<void>;
  /** The run's status (a task's, or its shard's, from which the task's is rolled up). */
  status(): Promise<string | undefined>;
  setStatus(status: TaskStatus): Promise<void>;
  markIncrementalStarted(): Promise<void>;
  saveProgress(p: SyncProgress, run: { ranFull: boolean; evictedKeys: number }): Promise<void>;
  saveCheckpoint(c: ShardCheckpoint): Promise<void>;
  markRetrying(why: string, line: string): Promise<void>;
  markFailed(message: string): Promise<void>;
  markFinished(status: 'Completed' | 'Ended', level: SyncLogLevel, message: string): Promise<void>;
}

/** The run of a whole task by one engine: its writes go to the task's record. */
export function taskRunRecords(taskId: string): RunRecords {
  return {
    log: (level, message) => records.log(taskId, level, message),
    status: () => records.statusOf(taskId),
    setStatus: (status) => records.setStatus(taskId, status),
    markIncrementalStarted: () => records.markIncrementalStarted(taskId),
    saveProgress: (p, run) => records.saveProgress(taskId, p, run),
    saveCheckpoint: (c) => records.saveCheckpoint(taskId, c),
    markRetrying: (why, line) => records.markRetrying(taskId, why, line),
    markFailed: (message) => records.markFailed(taskId, message),
    markFinished: (status, level, message) => records.markFinished(taskId, status, level, message),
  };
}
