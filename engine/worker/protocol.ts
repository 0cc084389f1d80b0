/**
 * Messages between the console's engine manager and a task worker process
 * (child_process.fork with serialization 'advanced', so Maps and Buffers travel).
 */
import type { SyncLogLevel, SyncOptions, SyncProgress, SyncStage } from '../sync/sync-task';

export type ManagerMessage =
  | { type: 'start'; options: SyncOptions }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'stop' };

export type WorkerMessage =
  | { type: 'stage'; stage: SyncStage }
  | { type: 'progress'; progress: SyncProgress }
  | { type: 'log'; level: SyncLogLevel; message: string }
  | { type: 'checkpoint'; replid: string; offset: number; db: number }
  | { type: 'done'; stage: SyncStage }
  | { type: 'failed'; message: string; code?: string };
