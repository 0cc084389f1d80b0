/**
 * Reading a task's data verification runs (written by lib/engine/verification.ts)
 * for the task details page: the history with the run in progress, and one run's
 * results per round and per DB. Plain JSON (BigInt columns become numbers).
 */
import { db } from '@/lib/db/client';
import type { VerificationRound, VerificationRun } from '@/lib/generated/prisma/client';
import { engineManager, type EngineManager } from '@/lib/engine/manager';
import type { TaskStatus } from './status';
import {
  emptyConflictCounts, RUN_HISTORY, verifyNowRefusal, type ConflictCounts, type DbRoundResult, type FullRunSummary,
  type IncrementalRunSummary, type RoundView, type RunDetailView, type RunKind, type RunStatus, type RunSummaryView,
  type RunTrigger, type VerificationOverview,
} from './verification-view';

function parse<T>(json: string | null | undefined, fallback: T): T {
  if (!json) return fallback;
  try {
    return JSON.parse(json) as T;
  } catch {
    return fallback;
  }
}

const KINDS: readonly RunKind[] = ['full', 'incremental'];
const TRIGGERS: readonly RunTrigger[] = ['auto', 'manual', 'stream'];
const STATUSES: readonly RunStatus[] = ['running', 'equal', 'different', 'failed', 'stopped'];

function pick<T extends string>(list: readonly T[], raw: string, fallback: T): T {
  return list.find((v) => v === raw) ?? fallback;
}

type RunRow = VerificationRun & { rounds?: Pick<VerificationRound, 'round' | 'counts'>[]; _count?: { rounds: number } };

export function toRunSummary(r: RunRow): RunSummaryView {
  const kind = pick(KINDS, r.kind, 'full');
  const summary = parse<FullRunSummary & IncrementalRunSummary>(r.summary, {});
  const lastRound = r.rounds?.at(-1);
  const counts: ConflictCounts = kind === 'incremental'
    ? (summary.counts ?? emptyConflictCounts())
    : (summary.counts ?? (lastRound ? parse(lastRound.counts, emptyConflictCounts()) : emptyConflictCounts()));
  return {
    id: r.id,
    kind,
    trigger: pick(TRIGGERS, r.trigger, 'manual'),
    status: pick(STATUSES, r.status, 'failed'),
    startedAt: r.startedAt.toISOString(),
    finishedAt: r.finishedAt ? r.finishedAt.toISOString() : null,
    keysChecked: Number(r.keysChecked),
    conflicts: Number(r.conflicts),
    counts,
    rounds: r._count?.rounds ?? r.rounds?.length ?? 0,
    errorMessage: r.errorMessage,
    settings: parse(r.settings, null),
    stats: kind === 'incremental' ? (summary.stats ?? null) : null,
  };
}

/** The history and the run in progress, as each task state carries it. */
export async function readVerificationOverview(taskId: string, status: TaskStatus, manager: EngineManager = engineManager()): Promise<VerificationOverview> {
  const rows = await db().verificationRun.findMany({
    where: { taskId },
    orderBy: [{ startedAt: 'desc' }, { id: 'desc' }],
    take: RUN_HISTORY,
    include: { rounds: { select: { round: true, counts: true }, orderBy: { round: 'desc' }, take: 1 }, _count: { select: { rounds: true } } },
  });
  const running = manager.verification.isRunning(taskId);
  return {
    verifyNowBlocked: verifyNowRefusal(status, running),
    progress: manager.verification.progress(taskId) ?? null,
    runs: rows.map(toRunSummary),
  };
}

function toRound(r: VerificationRound): RoundView {
  return {
    round: r.round,
    scope: r.scope === 'recheck' ? 'recheck' : 'all',
    startedAt: r.startedAt.toISOString(),
    durationMs: r.durationMs,
    keysChecked: Number(r.keysChecked),
    conflicts: Number(r.conflicts),
    counts: parse(r.counts, emptyConflictCounts()),
    recheckOverflow: r.recheckOverflow,
    dbs: parse<DbRoundResult[]>(r.dbs, []),
  };
}

/** One run of the task with every stored round and its per-DB results, or null. */
export async function readVerificationRun(taskId: string, runId: string): Promise<RunDetailView | null> {
  const r = await db().verificationRun.findFirst({ where: { id: runId, taskId }, include: { rounds: { orderBy: { round: 'asc' } } } });
  if (!r) return null;
  const summary = parse<FullRunSummary & IncrementalRunSummary>(r.summary, {});
  return {
    ...toRunSummary(r),
    summary,
    roundResults: r.rounds.map(toRound),
    incrementalDbs: r.kind === 'incremental' ? (summary.dbs ?? []) : [],
  };
}
