/**
 * How much of a task's performance history is kept, and at what resolution: every
 * sample (one a second) for the latest 10 minutes, one point per minute before
 * that, 24 hours in all, counted back from the task's newest sample. The metrics
 * store applies it to the database and the details page to its live view, so both
 * hold the same points. Pure: the browser imports it too.
 */
import type { SyncStage } from '@/engine/sync/types';

/** One point of a task's live metrics (charts, progress modules), as the engine manager records it once a second. */
export interface TaskSample {
  at: number;
  stage: SyncStage;
  fullPercent: number;
  keysDone: number;
  keysTotal: number;
  rdbBytesDone: number;
  rps: number;
  bytesPerSecond: number;
  delayMs: number | null;
  receivedOffset: number;
  checkpointOffset: number | null;
  replid: string | null;
}

/** Samples newer than this (before the newest) are kept one per second. */
export const RAW_WINDOW_MS = 10 * 60_000;
/** Older samples are merged into one point per bucket of this length. */
export const BUCKET_MS = 60_000;
/** Nothing older than this (before the newest) is kept. */
export const RETENTION_MS = 24 * 60 * 60_000;

export function bucketOf(at: number): number {
  return Math.floor(at / BUCKET_MS);
}

/**
 * Samples before this time are merged per bucket. Aligned to a bucket boundary, so
 * a bucket is merged once, when all its samples are old (never a merged point with
 * newer raw ones).
 */
export function mergeBefore(newest: number): number {
  return bucketOf(newest - RAW_WINDOW_MS) * BUCKET_MS;
}

/** Samples at or before this time are dropped. */
export function expiredAtOrBefore(newest: number): number {
  return newest - RETENTION_MS;
}

/**
 * One point for a bucket's samples (oldest first): the state at its last sample,
 * the mean rates (so the volume written stays right) and the highest delay (so a
 * spike is not averaged away).
 */
export function mergeSamples(samples: TaskSample[]): TaskSample {
  const last = samples[samples.length - 1];
  const delays = samples.flatMap((s) => (s.delayMs === null ? [] : [s.delayMs]));
  const mean = (f: (s: TaskSample) => number) => samples.reduce((sum, s) => sum + f(s), 0) / samples.length;
  return {
    ...last,
    rps: mean((s) => s.rps),
    bytesPerSecond: mean((s) => s.bytesPerSecond),
    delayMs: delays.length > 0 ? Math.max(...delays) : null,
  };
}

/** Groups samples (oldest first) by bucket, in order. */
export function groupByBucket(samples: TaskSample[]): TaskSample[][] {
  const groups: TaskSample[][] = [];
  for (const s of samples) {
    const group = groups[groups.length - 1];
    if (group && bucketOf(group[0].at) === bucketOf(s.at)) group.push(s);
    else groups.push([s]);
  }
  return groups;
}

/** A history (oldest first) reduced to what is kept: expired samples dropped, old ones merged per bucket. */
export function compactHistory(samples: TaskSample[]): TaskSample[] {
  const newest = samples.at(-1)?.at;
  if (newest === undefined) return samples;
  const expired = expiredAtOrBefore(newest);
  const before = mergeBefore(newest);
  const kept = samples.filter((s) => s.at > expired);
  const split = kept.findIndex((s) => s.at >= before);
  const old = split < 0 ? kept : kept.slice(0, split);
  if (old.length === 0) return kept;
  return [...groupByBucket(old).map((g) => (g.length === 1 ? g[0] : mergeSamples(g))), ...kept.slice(old.length)];
}
