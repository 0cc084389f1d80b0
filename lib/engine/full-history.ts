/**
 * What the task record keeps of the full migration across runs (Task.fullCompletedAt,
 * fullRerunAt/fullRerunReason, resumedAt), so the details page can say what
 * happened: completed at T, then resumed by partial resync at T2 — or run again in
 * full, and why. One per engine run; the engine's counters (fullSyncs,
 * partialResyncs) start at 0 in every run, so an increase is something that just
 * happened. It decides what to record; task-records.ts writes it.
 */
import type { SyncProgress, SyncStage } from '@/engine/sync/types';
import * as records from './task-records';

export interface RunStart {
  /** The checkpoint offset this run was given (single source), or how many shards have one (cluster). */
  checkpoint: { offset: number } | { shards: number } | null;
  /** False for "incremental only": its snapshot is received, not written. */
  writesSnapshot: boolean;
  /**
   * One shard of a task whose shards run apart (distributed mode): the task's completed full migration
   * may be another shard's, so only this shard's own checkpoint tells a rerun from its first.
   */
  oneShard?: boolean;
}

export class FullMigrationHistory {
  private fullSyncs = 0;
  private partialResyncs = 0;
  /** The stream was reached in this run (a later full migration means the link broke and could not continue). */
  private streamed = false;

  constructor(private readonly taskId: string, private readonly start: RunStart) {}

  /** Whether this run's progress describes a full migration (else the record keeps the last one's figures). */
  static ranFull(p: SyncProgress): boolean {
    return p.fullSyncs > 0;
  }

  /** Returns a line for the task log when a full migration starts again. */
  async progress(p: SyncProgress): Promise<string | undefined> {
    let line: string | undefined;
    if (p.partialResyncs > this.partialResyncs) {
      this.partialResyncs = p.partialResyncs;
      await records.saveFullMigration(this.taskId, { resumedAt: new Date() });
    }
    if (p.fullSyncs > this.fullSyncs) {
      const earlier = this.fullSyncs;
      this.fullSyncs = p.fullSyncs;
      const reason = this.rerunReason(earlier, await records.fullCompletedBefore(this.taskId));
      if (reason && this.start.writesSnapshot) {
        await records.saveFullMigration(this.taskId, { fullRerunAt: new Date(), fullRerunReason: reason });
        line = `the full data migration runs again: ${reason}`;
      }
    }
    return line;
  }

  /** Undefined for the task's first full migration. */
  private rerunReason(earlierInRun: number, completedBefore: boolean): string | undefined {
    if (this.streamed) {
      return 'the source link broke during incremental synchronization and the source could not continue from where it stopped '
        + '(its replication backlog no longer holds that offset)';
    }
    if (earlierInRun > 0) return 'the source link broke during the snapshot transfer, and a snapshot cut short is read again in full';
    const cp = this.start.checkpoint;
    if (cp && 'offset' in cp) {
      return `the source could not continue from the checkpoint (offset ${cp.offset}): its replication backlog no longer holds it, or its replication ID changed`;
    }
    if (cp) return `the source could not continue from the checkpoint of ${cp.shards > 1 ? 'some shards' : 'a shard'}: its replication backlog no longer holds it`;
    if (completedBefore && !this.start.oneShard) return 'no checkpoint was saved before the task stopped, so it could not continue by partial resync';
    return undefined;
  }

  /** A stage change: a full migration that reaches the stream (or completes) is recorded as completed. */
  async stage(previous: SyncStage | undefined, next: SyncStage): Promise<void> {
    if (next === 'incremental' || next === 'paused') this.streamed = true;
    const fullDone = previous === 'full' && (next === 'incremental' || next === 'paused' || next === 'completed');
    if (fullDone && this.start.writesSnapshot) await records.saveFullMigration(this.taskId, { fullCompletedAt: new Date(), fullProgress: 100 });
  }
}
