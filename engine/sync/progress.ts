/**
 * A task's progress from its shards' (a cluster source's masters, each run by its own SyncTask —
 * in one engine, cluster-sync.ts, or on several workers, lib/engine/queue/): one home for how
 * the parts add up, so the engine's report and a distributed task's record agree.
 */
import type { ShardProgress, SyncProgress, SyncStage } from './types';

/** Stages from least to most advanced: a task is as far as its slowest shard; one failed shard fails it. */
const STAGE_ORDER: SyncStage[] = ['connecting', 'waiting-snapshot', 'full', 'retrying', 'incremental', 'paused', 'completed', 'ended', 'failed'];

export function slowestStage(stages: SyncStage[]): SyncStage {
  if (stages.includes('failed')) return 'failed';
  return STAGE_ORDER.find((st) => stages.includes(st)) ?? 'connecting';
}

/** The shards' progress added up: counters summed, the full migration's percentage weighted by keys, the delay the longest. */
export function combineProgress(parts: SyncProgress[], stage: SyncStage, extra: { evictedKeys?: number; shards?: ShardProgress[] } = {}): SyncProgress {
  const sum = (f: (p: SyncProgress) => number) => parts.reduce((n, p) => n + f(p), 0);
  const keysTotal = sum((p) => p.keysTotal);
  const totals = parts.map((p) => p.rdbBytesTotal);
  const fullPercent = parts.length === 0 ? 0
    : keysTotal > 0 ? Math.min(100, parts.reduce((n, p) => n + (p.fullPercent / 100) * p.keysTotal, 0) / keysTotal * 100)
      : sum((p) => p.fullPercent) / parts.length;
  const delays = parts.map((p) => p.delayMs).filter((d): d is number => d !== null);
  return {
    stage,
    keysDone: sum((p) => p.keysDone),
    keysTotal,
    rdbBytesDone: sum((p) => p.rdbBytesDone),
    rdbBytesTotal: totals.every((t) => t !== null) ? totals.reduce<number>((n, t) => n + (t ?? 0), 0) : null,
    fullPercent,
    // One part (a standalone source's one shard run): its position is the task's.
    replid: parts.length === 1 ? parts[0]!.replid : null,
    receivedOffset: sum((p) => p.receivedOffset),
    checkpoint: parts.length === 1 ? parts[0]!.checkpoint : null,
    delayMs: delays.length > 0 ? Math.max(...delays) : null,
    rps: sum((p) => p.rps),
    bytesPerSecond: sum((p) => p.bytesPerSecond),
    commandsApplied: sum((p) => p.commandsApplied),
    bytesRead: sum((p) => p.bytesRead),
    destinationErrors: sum((p) => p.destinationErrors),
    destinationRetries: sum((p) => p.destinationRetries),
    fullSyncs: sum((p) => p.fullSyncs),
    partialResyncs: sum((p) => p.partialResyncs),
    evictedKeys: extra.evictedKeys ?? sum((p) => p.evictedKeys),
    shards: extra.shards ?? parts.flatMap((p) => p.shards ?? []),
  };
}
