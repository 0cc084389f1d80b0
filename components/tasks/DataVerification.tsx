'use client';
/**
 * The task details page's Data Verification: Verify Now (and Stop), the selected
 * Full Data Verification run with its rounds, counts per conflict type and per-DB
 * results with the sample of differing keys and fields; the latest Incremental
 * Data Verification; the history of runs. The overview comes with each live task
 * state; a run's rounds are fetched when it is shown (again when a round is added).
 */
import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type ReactNode } from 'react';
import { useCan } from '@/components/auth/AbilityProvider';
import { Button } from '@/components/ui/Button';
import { Meter } from '@/components/ui/Meter';
import type { VerificationSettings } from '@/lib/tasks/options';
import { VERIFY_MODE_LABEL } from '@/lib/tasks/options';
import { stopVerificationAction, verifyNowAction } from '@/lib/tasks/verification-actions';
import {
  CONFLICT_KIND_LABEL, CONFLICT_KIND_ORDER, RUN_STATUS_LABEL, RUN_TRIGGER_LABEL, type Conflict, type ConflictCounts,
  type FullRunSettings, type FullRunSummary, type IncrementalDbResult, type RoundView, type RunDetailView, type RunStatus,
  type RunSummaryView, type VerificationOverview,
} from '@/lib/tasks/verification-view';
import { formatCount, formatDelay, formatTime } from './format';

const STATUS_PILL: Record<RunStatus, string> = {
  running: 'bg-blue-50 text-blue-700 ring-blue-200',
  equal: 'bg-emerald-50 text-emerald-700 ring-emerald-200',
  different: 'bg-amber-50 text-amber-800 ring-amber-200',
  failed: 'bg-red-50 text-red-700 ring-red-200',
  stopped: 'bg-slate-100 text-slate-600 ring-slate-200',
};

function StatusPill({ status }: { status: RunStatus }) {
  return (
    <span className={`inline-flex shrink-0 rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset ${STATUS_PILL[status]}`}>
      {RUN_STATUS_LABEL[status]}
    </span>
  );
}

async function fetchRun(taskId: string, runId: string): Promise<RunDetailView> {
  const res = await fetch(`/api/tasks/${encodeURIComponent(taskId)}/verification/${encodeURIComponent(runId)}`, { cache: 'no-store' });
  if (!res.ok) throw new Error(res.status === 404 ? 'This verification run no longer exists.' : `HTTP ${res.status}`);
  return (await res.json()) as RunDetailView;
}

/** A run's details, fetched again whenever its summary changes (a round stored, the verdict, new differences). */
function useRun(taskId: string, run: RunSummaryView | undefined) {
  return useQuery({
    queryKey: ['verification-run', taskId, run?.id, run?.status, run?.rounds, run?.conflicts, run?.keysChecked],
    queryFn: () => fetchRun(taskId, run!.id),
    enabled: Boolean(run),
    placeholderData: keepPreviousData,
    staleTime: Infinity,
  });
}

function Counts({ counts, label }: { counts: ConflictCounts; label: string }) {
  return (
    <dl aria-label={label} className="grid grid-cols-2 gap-3 sm:grid-cols-5">
      {CONFLICT_KIND_ORDER.map((kind) => (
        <div key={kind} className={`rounded-md border px-3 py-2 ${counts[kind] > 0 ? 'border-amber-200 bg-amber-50/60' : 'border-slate-100'}`}>
          <dt className="font-mono text-xs text-slate-600">{kind}</dt>
          <dd className="mt-0.5 text-lg font-semibold tabular-nums text-slate-900" aria-label={`${kind}: ${counts[kind]}`}>{formatCount(counts[kind])}</dd>
          <dd className="text-[11px] leading-4 text-slate-500">{CONFLICT_KIND_LABEL[kind]}</dd>
        </div>
      ))}
    </dl>
  );
}

function shortValue(v: string | undefined): ReactNode {
  if (v === undefined) return <span className="text-slate-400">—</span>;
  return <span className="break-all font-mono text-xs">{v}</span>;
}

/** The sample of differing keys of one DB. */
function SampleTable({ sample, caption, total }: { sample: Conflict[]; caption: string; total: number }) {
  if (sample.length === 0) return <p className="px-4 py-3 text-sm text-slate-500">No differing keys.</p>;
  return (
    <div className="overflow-x-auto">
      <table className="w-full text-left text-sm">
        <caption className="px-4 py-2 text-left text-xs text-slate-500">
          {caption}{total > sample.length ? ` (${formatCount(sample.length)} of ${formatCount(total)} shown)` : ''}
        </caption>
        <thead className="bg-slate-50 text-xs uppercase tracking-wide text-slate-500">
          <tr>
            <th scope="col" className="px-4 py-2 font-medium">Key</th>
            <th scope="col" className="px-4 py-2 font-medium">Conflict</th>
            <th scope="col" className="px-4 py-2 font-medium">Type</th>
            <th scope="col" className="px-4 py-2 font-medium">Field</th>
            <th scope="col" className="px-4 py-2 font-medium">Source</th>
            <th scope="col" className="px-4 py-2 font-medium">Destination</th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {sample.map((c, i) => (
            <tr key={`${c.key}:${c.kind}:${i}`}>
              <th scope="row" className="max-w-[16rem] break-all px-4 py-2 font-mono text-xs font-normal text-slate-900">{c.key}</th>
              <td className="px-4 py-2"><span className="font-mono text-xs text-amber-800" title={CONFLICT_KIND_LABEL[c.kind]}>{c.kind}</span></td>
              <td className="px-4 py-2 text-xs text-slate-600">{c.keyType ?? '—'}</td>
              <td className="max-w-[12rem] px-4 py-2">
                {c.field ? shortValue(c.field) : <span className="text-slate-400">—</span>}
                {c.moreFields && c.moreFields.length > 0 && (
                  <div className="mt-0.5 text-[11px] text-slate-500">and {c.moreFields.length} more: {c.moreFields.join(', ')}</div>
                )}
              </td>
              <td className="max-w-[12rem] px-4 py-2">{shortValue(c.source)}</td>
              <td className="max-w-[12rem] px-4 py-2">{shortValue(c.target)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

interface DbResult {
  db: number;
  targetDb: number;
  keysChecked?: number;
  conflicts: number;
  counts: ConflictCounts;
  sample: Conflict[];
}

function DbResults({ dbs, what }: { dbs: DbResult[]; what: string }) {
  if (dbs.length === 0) return <p className="text-sm text-slate-500">No DB was compared.</p>;
  return (
    <div className="space-y-3">
      {dbs.map((d) => {
        const name = `DB ${d.db} → DB ${d.targetDb}`;
        return (
          <section key={d.db} aria-label={`${what}: ${name}`} className="overflow-hidden rounded-md border border-slate-200">
            <header className="flex flex-wrap items-center justify-between gap-2 bg-slate-50 px-4 py-2">
              <h4 className="text-sm font-semibold text-slate-900">
                Source DB {d.db} <span aria-hidden>→</span><span className="sr-only">to</span> destination DB {d.targetDb}
              </h4>
              <p className="text-xs text-slate-600">
                {d.keysChecked !== undefined && <>{formatCount(d.keysChecked)} key{d.keysChecked === 1 ? '' : 's'} checked · </>}
                {d.conflicts === 0 ? 'no differences' : `${formatCount(d.conflicts)} difference${d.conflicts === 1 ? '' : 's'}`}
                {d.conflicts > 0 && ` (${CONFLICT_KIND_ORDER.filter((k) => d.counts[k] > 0).map((k) => `${k} ${d.counts[k]}`).join(', ')})`}
              </p>
            </header>
            {d.conflicts > 0 && <SampleTable sample={d.sample} total={d.conflicts} caption={`Differing keys in source DB ${d.db}`} />}
          </section>
        );
      })}
    </div>
  );
}

function RoundsTable({ rounds, selected, onSelect }: { rounds: RoundView[]; selected: number; onSelect: (round: number) => void }) {
  return (
    <div className="overflow-x-auto rounded-md border border-slate-200">
      <table className="w-full text-left text-sm">
        <caption className="sr-only">Rounds of the verification</caption>
        <thead className="bg-slate-50 text-xs uppercase tracking-wide text-slate-500">
          <tr>
            <th scope="col" className="px-3 py-2 font-medium">Round</th>
            <th scope="col" className="px-3 py-2 font-medium">Scope</th>
            <th scope="col" className="px-3 py-2 text-right font-medium">Keys</th>
            {CONFLICT_KIND_ORDER.map((k) => <th key={k} scope="col" className="px-3 py-2 text-right font-mono font-medium normal-case">{k}</th>)}
            <th scope="col" className="px-3 py-2 text-right font-medium">Differences</th>
            <th scope="col" className="px-3 py-2 text-right font-medium">Time</th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {rounds.map((r) => (
            <tr key={r.round} className={r.round === selected ? 'bg-brand-50/50' : undefined}>
              <th scope="row" className="px-3 py-2 font-normal">
                <button type="button" onClick={() => onSelect(r.round)} aria-pressed={r.round === selected}
                  className="font-medium text-brand-600 hover:underline">Round {r.round}</button>
              </th>
              <td className="px-3 py-2 text-xs text-slate-600">{r.scope === 'all' ? 'All keys' : 'Recheck'}{r.recheckOverflow ? ' (too many to recheck)' : ''}</td>
              <td className="px-3 py-2 text-right tabular-nums">{formatCount(r.keysChecked)}</td>
              {CONFLICT_KIND_ORDER.map((k) => <td key={k} className="px-3 py-2 text-right tabular-nums">{formatCount(r.counts[k])}</td>)}
              <td className="px-3 py-2 text-right font-semibold tabular-nums">{formatCount(r.conflicts)}</td>
              <td className="px-3 py-2 text-right text-xs tabular-nums text-slate-600">{formatDelay(r.durationMs)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function verdictText(run: RunSummaryView): string {
  switch (run.status) {
    case 'running': return run.rounds > 0 ? `Round ${run.rounds} done; comparing…` : 'Comparing…';
    case 'equal': return `Source and destination are equal: ${formatCount(run.keysChecked)} keys checked.`;
    case 'different': return `${formatCount(run.conflicts)} difference${run.conflicts === 1 ? '' : 's'} left after ${run.rounds} round${run.rounds === 1 ? '' : 's'}.`;
    case 'failed': return `The verification failed: ${run.errorMessage ?? 'no reason was recorded'}`;
    case 'stopped': return `Stopped before it finished: ${run.errorMessage ?? 'no reason was recorded'}.`;
  }
}

function FullRun({ taskId, run, progress }: { taskId: string; run: RunSummaryView; progress: VerificationOverview['progress'] }) {
  const detail = useRun(taskId, run);
  const [picked, setPicked] = useState<{ runId: string; round: number } | null>(null);
  const rounds = detail.data?.id === run.id ? detail.data.roundResults : [];
  const round = rounds.find((r) => picked?.runId === run.id && r.round === picked.round) ?? rounds.at(-1);
  const settings = run.settings as FullRunSettings | null;
  const summary = detail.data?.id === run.id ? (detail.data.summary as FullRunSummary) : undefined;
  const live = run.status === 'running' && progress?.runId === run.id ? progress : null;

  return (
    <section aria-label="Full Data Verification" className="space-y-4">
      <div className="flex flex-wrap items-center gap-x-3 gap-y-1">
        <h3 className="text-sm font-semibold text-slate-900">Full Data Verification</h3>
        <span role="status" aria-label={`Full Data Verification: ${RUN_STATUS_LABEL[run.status]}`}><StatusPill status={run.status} /></span>
        <span className="text-xs text-slate-500">
          {RUN_TRIGGER_LABEL[run.trigger]} · started {formatTime(run.startedAt)} UTC
          {run.finishedAt && ` · finished ${formatTime(run.finishedAt)} UTC`}
          {settings && ` · ${VERIFY_MODE_LABEL[settings.mode as keyof typeof VERIFY_MODE_LABEL] ?? settings.mode}, up to ${settings.rounds} round${settings.rounds === 1 ? '' : 's'}`}
          {settings && `, ${settings.rateLimit ? `${formatCount(settings.rateLimit)} keys/s` : 'no rate limit'}`}
        </span>
      </div>
      <p className={`text-sm ${run.status === 'failed' ? 'text-red-700' : run.status === 'different' ? 'text-amber-800' : 'text-slate-700'}`}>
        {verdictText(run)}
      </p>
      {live && (
        <div className="space-y-1">
          <Meter value={live.keysTotal > 0 ? (live.keysChecked * 100) / live.keysTotal : 0} label="Verification progress" />
          <p className="text-xs text-slate-500">
            Round {live.round} ({live.phase === 'recheck' ? 'recheck' : live.phase === 'target' ? 'destination keys' : 'source keys'}, DB {live.db}):{' '}
            {formatCount(live.keysChecked)}{live.keysTotal ? ` / ${formatCount(live.keysTotal)}` : ''} keys checked, {formatCount(live.conflicts)} differences so far
          </p>
        </div>
      )}
      {summary?.source && summary.target && (
        <p className="text-xs text-slate-500">
          Source {summary.source.address} (version {summary.source.version}{summary.source.cluster ? ', cluster' : ''}) · destination {summary.target.address} (version {summary.target.version}{summary.target.cluster ? ', cluster' : ''})
          {summary.digest ? ' · values compared by DEBUG DIGEST-VALUE where equal' : ' · values read and compared'}
        </p>
      )}
      {detail.error && <p role="alert" className="text-sm text-red-700">The results could not be loaded: {(detail.error as Error).message}</p>}
      {round && (
        <>
          <Counts counts={round.counts} label={`Conflicts in round ${round.round}`} />
          <RoundsTable rounds={rounds} selected={round.round} onSelect={(r) => setPicked({ runId: run.id, round: r })} />
          <div className="space-y-2">
            <h4 className="text-xs font-semibold uppercase tracking-wide text-slate-500">
              Results per DB, round {round.round}{round.round === rounds.at(-1)?.round && run.status !== 'running' ? ' (the verdict)' : ''}
            </h4>
            <DbResults dbs={round.dbs} what={`Round ${round.round}`} />
          </div>
        </>
      )}
    </section>
  );
}

function IncrementalRun({ taskId, run }: { taskId: string; run: RunSummaryView }) {
  const detail = useRun(taskId, run);
  const dbs: IncrementalDbResult[] = detail.data?.id === run.id ? detail.data.incrementalDbs : [];
  const s = run.stats;
  return (
    <section aria-label="Incremental Data Verification" className="space-y-3">
      <div className="flex flex-wrap items-center gap-x-3 gap-y-1">
        <h3 className="text-sm font-semibold text-slate-900">Incremental Data Verification</h3>
        <span role="status" aria-label={`Incremental Data Verification: ${RUN_STATUS_LABEL[run.status]}`}><StatusPill status={run.status} /></span>
        <span className="text-xs text-slate-500">
          Each key the stream writes is compared a few seconds later · since {formatTime(run.startedAt)} UTC
          {run.finishedAt && ` · until ${formatTime(run.finishedAt)} UTC`}
        </span>
      </div>
      <dl className="grid grid-cols-2 gap-3 text-sm sm:grid-cols-5">
        {([
          ['Keys checked', run.keysChecked],
          ['Still different', s?.different ?? run.conflicts],
          ['Waiting', s?.queued ?? 0],
          ['Not checked (queue full)', s?.dropped ?? 0],
          ['Failed checks', s?.errors ?? 0],
        ] as const).map(([label, value]) => (
          <div key={label}>
            <dt className="text-xs text-slate-500">{label}</dt>
            <dd className="mt-0.5 font-semibold tabular-nums text-slate-900">{formatCount(value)}</dd>
          </div>
        ))}
      </dl>
      {s?.lastError && <p className="text-xs text-red-700">Last failed check: {s.lastError}</p>}
      {run.conflicts > 0 && <Counts counts={run.counts} label="Conflicts found by incremental verification" />}
      {dbs.length > 0 && <DbResults dbs={dbs} what="Incremental" />}
    </section>
  );
}

function History({ runs, shown, onShow }: { runs: RunSummaryView[]; shown: Set<string>; onShow: (run: RunSummaryView) => void }) {
  return (
    <div className="overflow-x-auto rounded-md border border-slate-200">
      <table className="w-full text-left text-sm">
        <caption className="sr-only">Verification runs, newest first</caption>
        <thead className="bg-slate-50 text-xs uppercase tracking-wide text-slate-500">
          <tr>
            <th scope="col" className="px-3 py-2 font-medium">Started (UTC)</th>
            <th scope="col" className="px-3 py-2 font-medium">Kind</th>
            <th scope="col" className="px-3 py-2 font-medium">Trigger</th>
            <th scope="col" className="px-3 py-2 font-medium">Status</th>
            <th scope="col" className="px-3 py-2 text-right font-medium">Keys</th>
            <th scope="col" className="px-3 py-2 text-right font-medium">Differences</th>
            <th scope="col" className="px-3 py-2 font-medium"><span className="sr-only">Actions</span></th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {runs.map((r) => (
            <tr key={r.id} className={shown.has(r.id) ? 'bg-brand-50/50' : undefined}>
              <td className="whitespace-nowrap px-3 py-2 font-mono text-xs text-slate-600">{formatTime(r.startedAt)}</td>
              <td className="px-3 py-2">{r.kind === 'full' ? 'Full' : 'Incremental'}</td>
              <td className="px-3 py-2 text-xs text-slate-600">{RUN_TRIGGER_LABEL[r.trigger]}</td>
              <td className="px-3 py-2"><StatusPill status={r.status} /></td>
              <td className="px-3 py-2 text-right tabular-nums">{formatCount(r.keysChecked)}</td>
              <td className="px-3 py-2 text-right tabular-nums">{formatCount(r.conflicts)}</td>
              <td className="px-3 py-2 text-right">
                {shown.has(r.id) ? <span className="text-xs text-slate-500">Shown</span> : (
                  <Button variant="link" size="sm" onClick={() => onShow(r)} aria-label={`Show the ${r.kind} run of ${formatTime(r.startedAt)}`}>Show</Button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function settingsText(v: VerificationSettings): string {
  const full = v.full.enabled
    ? `Full Data Verification after the full migration: ${VERIFY_MODE_LABEL[v.full.mode]}, up to ${v.full.rounds} round${v.full.rounds === 1 ? '' : 's'}, ${formatCount(v.full.rateLimit)} keys/s`
    : 'Full Data Verification after the full migration: off (Verify Now runs it with the same settings)';
  return `${full} · Incremental Data Verification: ${v.incremental.enabled ? 'on' : 'off'}`;
}

export function DataVerification({ taskId, overview, settings }: { taskId: string; overview: VerificationOverview; settings: VerificationSettings }) {
  const queryClient = useQueryClient();
  const [busy, setBusy] = useState<'verify' | 'stop' | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [shownFull, setShownFull] = useState<string | null>(null);
  const [shownIncremental, setShownIncremental] = useState<string | null>(null);
  const runs = overview.runs;
  const full = runs.find((r) => r.id === shownFull && r.kind === 'full') ?? runs.find((r) => r.kind === 'full');
  const incremental = runs.find((r) => r.id === shownIncremental && r.kind === 'incremental') ?? runs.find((r) => r.kind === 'incremental');
  const running = runs.some((r) => r.kind === 'full' && r.status === 'running');
  const mayOperate = useCan('operate'); // a viewer sees the results, not Verify Now / Stop (the server refuses them anyway)

  async function act(kind: 'verify' | 'stop') {
    setBusy(kind);
    setError(null);
    try {
      const r = kind === 'verify' ? await verifyNowAction(taskId) : await stopVerificationAction(taskId);
      if (!r.ok) setError(r.message);
      else if (kind === 'verify') setShownFull(r.runId ?? null);
    } catch (err) {
      setError(`The request did not reach the console: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      setBusy(null);
      await queryClient.invalidateQueries({ queryKey: ['task', taskId] });
    }
  }

  return (
    <div className="space-y-5">
      <div className="flex flex-wrap items-start justify-between gap-3">
        <p className="max-w-3xl text-xs text-slate-500">{settingsText(settings)}</p>
        <div className="flex shrink-0 items-center gap-2">
          {running && mayOperate && (
            <Button onClick={() => void act('stop')} busy={busy === 'stop'} disabled={busy !== null}>Stop Verification</Button>
          )}
          {mayOperate && <Button variant="primary" onClick={() => void act('verify')} busy={busy === 'verify'}
            disabled={busy !== null || overview.verifyNowBlocked !== null} title={overview.verifyNowBlocked ?? 'Compare the whole source with the destination now'}>
            Verify Now
          </Button>}
        </div>
      </div>
      {overview.verifyNowBlocked && !running && <p className="text-xs text-slate-500">{overview.verifyNowBlocked}</p>}
      {error && <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-700 ring-1 ring-inset ring-red-200">{error}</p>}

      {runs.length === 0 ? (
        <p className="text-sm text-slate-500">
          No verification has run yet. {settings.full.enabled ? 'Full Data Verification runs when the full data migration completes; ' : ''}
          Verify Now compares the whole source with the destination.
        </p>
      ) : (
        <>
          {full ? <FullRun key={full.id} taskId={taskId} run={full} progress={overview.progress} />
            : <p className="text-sm text-slate-500">No Full Data Verification has run yet.</p>}
          {incremental && <IncrementalRun key={incremental.id} taskId={taskId} run={incremental} />}
          <div className="space-y-2">
            <h3 className="text-sm font-semibold text-slate-900">History</h3>
            <History runs={runs} shown={new Set([full?.id, incremental?.id].filter((id): id is string => Boolean(id)))}
              onShow={(r) => (r.kind === 'full' ? setShownFull(r.id) : setShownIncremental(r.id))} />
          </div>
        </>
      )}
    </div>
  );
}
