/**
 * Messages between the console's engine manager and its engine processes
 * (child_process.fork with serialization 'advanced', so Maps and Buffers travel):
 * a task worker (engine/worker/task-worker.ts) runs one SyncTask, with Incremental
 * Data Verification when asked; a verify worker (engine/worker/verify-worker.ts)
 * runs one Full Data Verification.
 */
import type { FilterOptions } from '../filter';
import type { ShardCheckpoint, SyncLogLevel, SyncOptions, SyncProgress, SyncStage } from '../sync/types';
import type {
  CompareOptions, Conflict, IncrementalStats, RoundResult, VerifierOptions, VerifyProgress, VerifyResult,
} from '../verify';

/** Incremental Data Verification in a task worker: the keys the stream writes are compared `delayMs` later. */
export interface IncrementalVerifyOptions extends CompareOptions {
  /** Default 5000 ms. */
  delayMs?: number;
  /** Default 100,000 keys waiting. */
  maxQueue?: number;
}

export type ManagerMessage =
  | { type: 'start'; options: SyncOptions; incrementalVerify?: IncrementalVerifyOptions }
  | { type: 'pause' }
  | { type: 'resume' }
  /** New rate limits for the running task (Upgrade Instance Class). */
  | { type: 'limits'; limits: Pick<SyncOptions, 'rps' | 'throttle'> }
  /** Asks for the keys the stream wrote since the engine started (a cut over's final check). */
  | { type: 'changed-keys' }
  | { type: 'stop' };

export type WorkerMessage =
  | { type: 'stage'; stage: SyncStage }
  | { type: 'progress'; progress: SyncProgress }
  | { type: 'log'; level: SyncLogLevel; message: string }
  | ({ type: 'checkpoint' } & ShardCheckpoint)
  /** The answer to `pause`: the task writes nothing more until `resume`. */
  | { type: 'paused' }
  /** run() returned; `progress` is its final state (the destination's evictions read last, after the final stage). */
  | { type: 'done'; stage: SyncStage; progress: SyncProgress }
  | { type: 'failed'; message: string; code?: string }
  /** Incremental Data Verification: a key the stream wrote still differs after its rechecks. */
  | { type: 'verify-difference'; conflict: Conflict }
  /** Incremental Data Verification counters (every few seconds while they change, and once at the end). */
  | { type: 'verify-stats'; stats: IncrementalStats; final: boolean }
  /** The answer to `changed-keys` (source DB and key; `overflow`: more were written than kept). */
  | { type: 'changed-keys'; keys: { db: number; key: Buffer }[]; overflow: boolean };

/** What a verify worker runs: VerifierOptions without the callbacks and the signal. */
export type VerifyJob = Omit<VerifierOptions, 'filter' | 'signal' | 'onProgress' | 'onRound'> & { filter?: FilterOptions };

export type VerifyManagerMessage =
  | { type: 'verify'; job: VerifyJob }
  | { type: 'stop' };

export type VerifyWorkerMessage =
  | { type: 'progress'; progress: VerifyProgress }
  /** One round, as it completes (sent before the next round starts). */
  | { type: 'round'; round: RoundResult }
  | { type: 'done'; result: VerifyResult }
  | { type: 'failed'; message: string; code?: string; stopped: boolean };
