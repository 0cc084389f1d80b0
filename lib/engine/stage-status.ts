/** The task status an engine's stage shows as, and back (a distributed task's status is rolled up from its shards' by stage). */
import type { SyncStage } from '@/engine/sync/types';
import type { TaskStatus } from '@/lib/tasks/status';

export const STAGE_STATUS: Record<SyncStage, TaskStatus> = {
  connecting: 'Initializing',
  'waiting-snapshot': 'Initializing',
  full: 'FullMigration',
  incremental: 'Running',
  paused: 'Paused',
  retrying: 'Retrying',
  completed: 'Completed',
  ended: 'Ended',
  failed: 'Failed',
};

/** The stage a shard's status stands for (statuses that no engine stage shows have none). */
export function stageOf(status: string): SyncStage | undefined {
  if (status === 'Initializing') return 'connecting';
  return (Object.keys(STAGE_STATUS) as SyncStage[]).find((st) => STAGE_STATUS[st] === status);
}
