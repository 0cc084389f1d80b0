/**
 * Data verification as the console stores and shows it: the JSON documents of
 * VerificationRun (settings, summary) and the views the task details page reads.
 * Plain data and pure functions only, so client components can import it.
 */
import type { IncrementalStats } from '@/engine/verify/incremental';
import type { Conflict, ConflictCounts, ConflictKind, DbRoundResult, SideInfo, VerifyProgress } from '@/engine/verify/types';
import type { TaskStatus } from './status';

export type { Conflict, ConflictCounts, ConflictKind, DbRoundResult, IncrementalStats, VerifyProgress };

export const CONFLICT_KIND_ORDER: readonly ConflictKind[] = ['lack_target', 'lack_source', 'type', 'value', 'ttl'];

export const CONFLICT_KIND_LABEL: Record<ConflictKind, string> = {
  lack_target: 'Missing on the destination',
  lack_source: 'Missing on the source',
  type: 'Different type',
  value: 'Different value',
  ttl: 'Different TTL',
};

export type RunKind = 'full' | 'incremental';
export type RunTrigger = 'auto' | 'manual' | 'stream';
export type RunStatus = 'running' | 'equal' | 'different' | 'failed' | 'stopped';

export const RUN_STATUS_LABEL: Record<RunStatus, string> = {
  running: 'Running',
  equal: 'No differences',
  different: 'Differences found',
  failed: 'Failed',
  stopped: 'Stopped',
};

export const RUN_TRIGGER_LABEL: Record<RunTrigger, string> = {
  auto: 'After the full migration',
  manual: 'Verify Now',
  stream: 'While synchronizing',
};

/** VerificationRun.settings of a full run. */
export interface FullRunSettings {
  mode: string;
  rounds: number;
  intervalMs: number;
  /** Keys per second; null: no limit. */
  rateLimit: number | null;
  bigKeyThreshold: number;
  ttlExtendSeconds: number;
}

/** VerificationRun.settings of an incremental run. */
export interface IncrementalRunSettings {
  mode: string;
  delayMs: number;
  rateLimit: number | null;
  ttlExtendSeconds: number;
}

/** VerificationRun.summary of a full run (once finished). */
export interface FullRunSummary {
  equal?: boolean;
  durationMs?: number;
  /** The last round's counts (the verdict). */
  counts?: ConflictCounts;
  source?: SideInfo;
  target?: SideInfo;
  /** DEBUG DIGEST-VALUE was used. */
  digest?: boolean;
}

/** Per DB of an incremental run: the keys found still different, with the most recent ones. */
export interface IncrementalDbResult {
  db: number;
  targetDb: number;
  conflicts: number;
  counts: ConflictCounts;
  /** The most recent differences (at most 100), oldest first. */
  sample: Conflict[];
}

/** VerificationRun.summary of an incremental run. */
export interface IncrementalRunSummary {
  stats?: IncrementalStats;
  counts?: ConflictCounts;
  dbs?: IncrementalDbResult[];
}

/** One run in the history (no samples). */
export interface RunSummaryView {
  id: string;
  kind: RunKind;
  trigger: RunTrigger;
  status: RunStatus;
  startedAt: string;
  finishedAt: string | null;
  keysChecked: number;
  /** Differences left (full: the last round's; incremental: keys found still different). */
  conflicts: number;
  counts: ConflictCounts;
  /** Full runs: rounds stored so far. */
  rounds: number;
  errorMessage: string | null;
  settings: FullRunSettings | IncrementalRunSettings | null;
  /** Incremental runs: the verifier's counters. */
  stats: IncrementalStats | null;
}

/** What the details page shows live: each task state carries it. */
export interface VerificationOverview {
  /** Null when Verify Now is allowed; otherwise why not, in words. */
  verifyNowBlocked: string | null;
  /** The progress of the full run in progress (from the engine manager, in memory). */
  progress: (VerifyProgress & { runId: string }) | null;
  /** Newest first, at most RUN_HISTORY. */
  runs: RunSummaryView[];
}

export interface RoundView {
  round: number;
  scope: 'all' | 'recheck';
  startedAt: string;
  durationMs: number;
  keysChecked: number;
  conflicts: number;
  counts: ConflictCounts;
  recheckOverflow: boolean;
  dbs: DbRoundResult[];
}

/** One run with its per-round, per-DB results (full) or its per-DB differing keys (incremental). */
export interface RunDetailView extends RunSummaryView {
  summary: FullRunSummary | IncrementalRunSummary;
  roundResults: RoundView[];
  /** Incremental runs: per DB. */
  incrementalDbs: IncrementalDbResult[];
}

export const RUN_HISTORY = 20;

/** States in which Verify Now may run: the destination holds what the task wrote. */
export const VERIFY_NOW_STATUSES: readonly TaskStatus[] = ['Running', 'Paused', 'Completed', 'Ended', 'Failed'];

/** Why Verify Now is not possible now, or null. */
export function verifyNowRefusal(status: TaskStatus, running: boolean): string | null {
  if (running) return 'A Full Data Verification of this task is already running.';
  if (VERIFY_NOW_STATUSES.includes(status)) return null;
  switch (status) {
    case 'Initializing':
    case 'FullMigration':
      return 'Verify once the full data migration has completed.';
    case 'Retrying':
      return 'The task is reconnecting; verify once it is Running again.';
    case 'Released':
      return 'A released task cannot be verified.';
    default:
      return 'Start the task first: nothing has been written to the destination yet.';
  }
}

export function emptyConflictCounts(): ConflictCounts {
  return { lack_target: 0, lack_source: 0, type: 0, value: 0, ttl: 0 };
}

/** `lack_target 1, value 2` (kinds with a count only). */
export function countsText(counts: ConflictCounts): string {
  return CONFLICT_KIND_ORDER.filter((k) => counts[k] > 0).map((k) => `${k} ${counts[k]}`).join(', ');
}
