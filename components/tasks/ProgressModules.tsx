/** The three progress modules of the task details: Precheck, Full Data Migration, Incremental Data Synchronization. */
import type { ReactNode } from 'react';
import { Meter } from '@/components/ui/Meter';
import type { LiveSample, TaskLiveState } from '@/lib/tasks/details';
import type { PrecheckItemRecord } from '@/lib/tasks/precheck-doc';
import { hasLiveDelay } from '@/lib/tasks/status';
import { formatBytes, formatCount, formatDelay, formatDuration, formatTime } from './format';

type Tone = 'neutral' | 'progress' | 'ok' | 'warn' | 'error';

const PILL: Record<Tone, string> = {
  neutral: 'bg-slate-100 text-slate-600 ring-slate-200',
  progress: 'bg-blue-50 text-blue-700 ring-blue-200',
  ok: 'bg-emerald-50 text-emerald-700 ring-emerald-200',
  warn: 'bg-amber-50 text-amber-800 ring-amber-200',
  error: 'bg-red-50 text-red-700 ring-red-200',
};

interface Stage {
  label: string;
  tone: Tone;
}

/** The full migration started again after its last completion (and has not completed since). */
function fullRerunning(s: TaskLiveState): boolean {
  return s.fullRerunAt !== null && (s.fullCompletedAt === null || s.fullRerunAt > s.fullCompletedAt);
}

/** Completed, and not running again: a later run resumed by partial resync does not undo it. */
export function fullCompleted(s: TaskLiveState): boolean {
  return !fullRerunning(s) && (s.fullCompletedAt !== null || s.fullPercent >= 100);
}

export function fullStage(s: TaskLiveState): Stage {
  if (s.syncTypes === 'incremental') return { label: 'Not included', tone: 'neutral' };
  if (fullCompleted(s)) return s.evictedKeys > 0 ? { label: 'Completed, keys evicted', tone: 'warn' } : { label: 'Completed', tone: 'ok' };
  const again = fullRerunning(s);
  switch (s.status) {
    case 'Initializing': return { label: again ? 'Running again in full' : 'Waiting for the snapshot', tone: 'progress' };
    case 'FullMigration': return { label: again ? 'Running again in full' : 'In progress', tone: 'progress' };
    case 'Retrying': return { label: 'Retrying', tone: 'warn' };
    case 'Failed': return { label: 'Stopped by a failure', tone: 'error' };
    case 'Ended': case 'Released': case 'Completed': return { label: 'Stopped', tone: 'neutral' };
    default: return { label: 'Not started', tone: 'neutral' };
  }
}

export function incrementalStage(s: TaskLiveState): Stage {
  if (s.syncTypes === 'full') return { label: 'Not included', tone: 'neutral' };
  switch (s.status) {
    case 'Running': return { label: 'Synchronizing', tone: 'ok' };
    case 'Paused': return { label: 'Paused', tone: 'warn' };
    case 'Retrying': return { label: 'Retrying', tone: 'warn' };
    case 'Initializing': return { label: s.syncTypes === 'incremental' ? 'Connecting' : 'After the full migration', tone: 'neutral' };
    case 'FullMigration': return { label: 'After the full migration', tone: 'neutral' };
    case 'Failed': return { label: 'Stopped by a failure', tone: 'error' };
    case 'Ended': case 'Completed': case 'Released': return { label: 'Ended', tone: 'neutral' };
    default: return { label: 'Not started', tone: 'neutral' };
  }
}

/** What happened to the full migration across runs, oldest first: completed, run again (why), resumed by partial resync. */
export function fullHistory(s: TaskLiveState): { at: string; text: string }[] {
  const out: { at: string; text: string }[] = [];
  if (s.fullRerunAt) {
    out.push({ at: s.fullRerunAt, text: `${fullRerunning(s) ? 'Running again in full since' : 'Ran again in full from'} ${formatTime(s.fullRerunAt)} UTC: ${s.fullRerunReason ?? 'reason not recorded'}` });
  }
  if (s.fullCompletedAt) out.push({ at: s.fullCompletedAt, text: `Completed at ${formatTime(s.fullCompletedAt)} UTC` });
  const latest = [s.fullCompletedAt, s.fullRerunAt].filter((t): t is string => t !== null).sort().at(-1);
  if (s.resumedAt && (!latest || s.resumedAt > latest)) {
    out.push({ at: s.resumedAt, text: `Resumed by partial resync at ${formatTime(s.resumedAt)} UTC: the full migration did not run again` });
  }
  return out.sort((a, b) => a.at.localeCompare(b.at));
}

function Module({ title, stage, children }: { title: string; stage: Stage; children: ReactNode }) {
  return (
    <section aria-label={title} className="flex flex-col rounded-lg border border-slate-200 bg-white p-5 shadow-sm">
      <div className="flex items-start justify-between gap-3">
        <h3 className="text-sm font-semibold text-slate-900">{title}</h3>
        <span className={`shrink-0 rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset ${PILL[stage.tone]}`}>{stage.label}</span>
      </div>
      <div className="mt-4 flex-1 space-y-4">{children}</div>
    </section>
  );
}

function Stat({ label, value, hint }: { label: string; value: ReactNode; hint?: ReactNode }) {
  return (
    <div>
      <dt className="text-xs text-slate-500">{label}</dt>
      <dd className="mt-0.5 text-sm font-semibold tabular-nums text-slate-900">{value}</dd>
      {hint && <dd className="text-xs text-slate-500">{hint}</dd>}
    </div>
  );
}

const ITEM_STYLE: Record<PrecheckItemRecord['status'], { label: string; className: string }> = {
  pending: { label: 'Checking', className: 'text-blue-700' },
  passed: { label: 'Passed', className: 'text-emerald-700' },
  warning: { label: 'Warning', className: 'text-amber-700' },
  failed: { label: 'Failed', className: 'text-red-700' },
};

export function ProgressModules({ state, sample }: { state: TaskLiveState; sample: LiveSample | undefined }) {
  const pre = state.precheckSummary;
  const precheckStage: Stage = !state.precheck ? { label: 'No result', tone: 'neutral' }
    : !pre.finished ? { label: 'In progress', tone: 'progress' }
      : pre.blocking > 0 ? { label: 'Failed', tone: 'error' }
        : { label: 'Passed', tone: 'ok' };
  const ignored = state.precheck?.items.filter((i) => i.ignored).length ?? 0;
  const live = hasLiveDelay(state.status);
  const delay = live ? (sample?.delayMs ?? state.delayMs) : null;
  const full = fullStage(state);
  const fullDone = fullCompleted(state);
  const history = fullHistory(state);
  const inc = incrementalStage(state);

  return (
    <div className="grid gap-4 lg:grid-cols-3">
      <Module title="Precheck" stage={precheckStage}>
        {state.precheck ? (
          <>
            <Meter value={pre.total ? (pre.done * 100) / pre.total : 0} label="Precheck progress" tone={pre.blocking ? 'muted' : 'ok'} />
            <dl className="grid grid-cols-3 gap-3">
              <Stat label="Passed" value={pre.passed} />
              <Stat label="Warning" value={pre.warnings} />
              <Stat label="Failed" value={pre.failed} hint={ignored ? `${ignored} ignored` : undefined} />
            </dl>
            <details className="group text-sm">
              <summary className="cursor-pointer select-none text-xs font-medium text-brand-600 hover:text-brand-700">
                Precheck items ({pre.total})
              </summary>
              <ul className="mt-2 divide-y divide-slate-100 rounded-md border border-slate-100">
                {state.precheck.items.map((item) => (
                  <li key={item.id} className="px-3 py-2">
                    <div className="flex items-center justify-between gap-2">
                      <span className="text-slate-800">{item.name}</span>
                      <span className={`text-xs font-medium ${ITEM_STYLE[item.status].className}`}>
                        {ITEM_STYLE[item.status].label}{item.ignored ? ' (ignored)' : ''}
                      </span>
                    </div>
                    {item.reason && item.status !== 'passed' && <p className="mt-0.5 text-xs text-slate-500">{item.reason}</p>}
                  </li>
                ))}
              </ul>
            </details>
          </>
        ) : (
          <p className="text-sm text-slate-500">No precheck result is stored for this task.</p>
        )}
      </Module>

      <Module title="Full Data Migration" stage={full}>
        {state.syncTypes === 'incremental' ? (
          <p className="text-sm text-slate-500">This task runs Incremental Synchronization only.</p>
        ) : (
          <>
            <Meter value={fullDone ? 100 : state.fullPercent} label="Full Data Migration progress" tone={fullDone ? 'ok' : 'brand'} />
            <dl className="grid grid-cols-2 gap-3">
              <Stat label="Keys" value={`${formatCount(state.keysDone)} / ${formatCount(state.keysTotal)}`} hint="migrated / in the snapshot" />
              <Stat label="Snapshot read" value={formatBytes(state.bytesDone)} hint="RDB bytes" />
              {state.evictedKeys > 0 && (
                <Stat label="Evicted by the destination" value={<span className="text-amber-700">{formatCount(state.evictedKeys)}</span>}
                  hint="written, then dropped by the destination's maxmemory-policy" />
              )}
            </dl>
            {history.length > 0 && (
              <ul aria-label="Full Data Migration history" className="space-y-1 border-t border-slate-100 pt-3 text-xs text-slate-600">
                {history.map((h) => <li key={h.text}>{h.text}</li>)}
              </ul>
            )}
          </>
        )}
      </Module>

      <Module title="Incremental Data Synchronization" stage={inc}>
        {state.syncTypes === 'full' ? (
          <p className="text-sm text-slate-500">This task runs Full Synchronization only.</p>
        ) : (
          <dl className="grid grid-cols-2 gap-3">
            <div className="col-span-2">
              <dt className="text-xs text-slate-500">Synchronization delay</dt>
              <dd className="mt-0.5 text-2xl font-semibold tabular-nums text-slate-900">{formatDelay(delay)}</dd>
              {live && delay === null && <dd className="text-xs text-slate-500">Measured once the heartbeat key comes back through the stream.</dd>}
            </div>
            <Stat label="Writes now" value={live && sample ? `${formatCount(Math.round(sample.rps))} RPS` : '—'} />
            <Stat label="Each write applied" value={state.delivery === 'exactly-once' ? 'Exactly once' : 'At least once'}
              hint={state.delivery === 'exactly-once'
                ? 'in transactions with the task\'s record on the destination, across any fault'
                : 'a cluster destination: after a broken connection a write may run twice; the log names those keys'} />
            <Stat label="Received offset" value={sample ? formatCount(sample.receivedOffset) : '—'} />
            <Stat label="Billable time" value={state.billing.billableMs === null ? '—' : formatDuration(state.billing.billableMs)}
              hint="billed by duration (full migration free)" />
            {state.billing.estimates.length > 0 && (
              <div>
                <dt className="text-xs text-slate-500">Estimate by instance class</dt>
                <dd className="mt-0.5 text-xs tabular-nums text-slate-700">
                  {state.billing.estimates.map((e) => (
                    <span key={e.instanceClass} className={`mr-2 inline-block ${e.instanceClass === state.instanceClass ? 'font-semibold' : ''}`}>
                      {e.instanceClass} {e.amount.toFixed(2)}{state.billing.currency ? ` ${state.billing.currency}` : ''}
                    </span>
                  ))}
                </dd>
              </div>
            )}
          </dl>
        )}
      </Module>
    </div>
  );
}
