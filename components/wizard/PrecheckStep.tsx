'use client';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { Button, FormError } from '@/components/form/fields';
import type { PrecheckItemRecord, PrecheckView } from '@/lib/tasks/precheck-doc';
import { ignorePrecheckItemAction, startPrecheckAction } from '@/lib/tasks/wizard-actions';

interface Props {
  taskId: string;
  /** Run a fresh precheck when the step opens (after saving the settings). */
  startOnMount: boolean;
  onBack: () => void;
  onNext: () => void;
}

async function fetchPrecheck(taskId: string): Promise<PrecheckView> {
  const res = await fetch(`/api/tasks/${encodeURIComponent(taskId)}/precheck`, { cache: 'no-store' });
  if (!res.ok) throw new Error(`precheck status: HTTP ${res.status}`);
  return (await res.json()) as PrecheckView;
}

const STATUS_STYLE: Record<PrecheckItemRecord['status'], { label: string; className: string; icon: string }> = {
  pending: { label: 'Checking', className: 'bg-blue-50 text-blue-700 ring-blue-200', icon: '…' },
  passed: { label: 'Passed', className: 'bg-emerald-50 text-emerald-700 ring-emerald-200', icon: '✓' },
  warning: { label: 'Warning', className: 'bg-amber-50 text-amber-800 ring-amber-200', icon: '!' },
  failed: { label: 'Failed', className: 'bg-red-50 text-red-700 ring-red-200', icon: '✕' },
};

export function PrecheckStep({ taskId, startOnMount, onBack, onNext }: Props) {
  const queryClient = useQueryClient();
  const [error, setError] = useState<string>();
  const [starting, setStarting] = useState(false);
  const [confirming, setConfirming] = useState<PrecheckItemRecord | null>(null);
  const started = useRef(false);
  /**
   * A start succeeded and its document has not been seen yet: keep polling. The step's first
   * fetch can be in flight while the start runs, and React Query joins a refetch to it instead of
   * sending a new one — that answer predates the document.
   */
  const [awaitingDoc, setAwaitingDoc] = useState(false);
  const query = useQuery({
    queryKey: ['precheck', taskId],
    queryFn: () => fetchPrecheck(taskId),
    refetchInterval: (q) => (q.state.data && (q.state.data.summary.finished || !q.state.data.doc) && !starting && !awaitingDoc ? false : 500),
    staleTime: 0,
  });
  useEffect(() => {
    if (awaitingDoc && query.data?.doc) setAwaitingDoc(false);
  }, [awaitingDoc, query.data]);
  useEffect(() => {
    // Bounded: a document replaced meanwhile (settings saved elsewhere) must not leave the step waiting.
    if (!awaitingDoc) return undefined;
    const timer = setTimeout(() => setAwaitingDoc(false), 10_000);
    return () => clearTimeout(timer);
  }, [awaitingDoc]);

  async function start() {
    setStarting(true);
    setError(undefined);
    try {
      const r = await startPrecheckAction(taskId);
      if (!r.ok) setError(r.message);
      else setAwaitingDoc(true);
    } catch (err) {
      // The request itself failed (network, server restart): say so and let Precheck Again retry, never wait on it.
      setError(`The precheck could not be started: ${err instanceof Error ? err.message : String(err)}. Click Precheck Again.`);
    } finally {
      setStarting(false);
      await queryClient.invalidateQueries({ queryKey: ['precheck', taskId] });
    }
  }

  useEffect(() => {
    if (started.current) return;
    if (startOnMount || (query.data && !query.data.doc)) {
      started.current = true;
      void start();
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [startOnMount, query.data]);

  async function ignore(item: PrecheckItemRecord) {
    const r = await ignorePrecheckItemAction(taskId, item.id);
    setConfirming(null);
    if (!r.ok) setError(r.message);
    await queryClient.invalidateQueries({ queryKey: ['precheck', taskId] });
  }

  const view = query.data;
  const summary = view?.summary;
  const running = starting || (view?.doc ? !view.summary.finished : false);
  return (
    <div className="space-y-5">
      <section aria-label="Precheck summary" className="flex flex-wrap items-center gap-6 rounded-lg border border-slate-200 bg-white p-5 shadow-sm">
        <div className="min-w-48 flex-1">
          <p className="text-sm font-semibold text-slate-900" role="status" aria-live="polite">
            {running ? `Precheck in progress: ${summary?.done ?? 0} of ${summary?.total ?? '…'} items checked`
              : summary?.canProceed ? 'Precheck passed' : summary?.finished ? 'Precheck failed' : 'Preparing the precheck'}
          </p>
          <div role="progressbar" aria-label="Precheck progress" aria-valuemin={0} aria-valuemax={100}
            aria-valuenow={summary?.total ? Math.round((summary.done * 100) / summary.total) : 0}
            className="mt-2 h-2 overflow-hidden rounded-full bg-slate-200">
            <div className={`h-full rounded-full transition-all ${summary?.blocking ? 'bg-red-500' : 'bg-brand-500'}`}
              style={{ width: `${summary?.total ? (summary.done * 100) / summary.total : 0}%` }} />
          </div>
        </div>
        <dl className="flex gap-6 text-sm">
          <div><dt className="text-slate-500">Success rate</dt><dd className="text-lg font-semibold tabular-nums" aria-label="Success rate">{summary?.successRate ?? 0}%</dd></div>
          <div><dt className="text-slate-500">Passed</dt><dd className="text-lg font-semibold tabular-nums text-emerald-700">{summary?.passed ?? 0}</dd></div>
          <div><dt className="text-slate-500">Warnings</dt><dd className="text-lg font-semibold tabular-nums text-amber-700">{summary?.warnings ?? 0}</dd></div>
          <div><dt className="text-slate-500">Failed</dt><dd className="text-lg font-semibold tabular-nums text-red-700">{summary?.failed ?? 0}</dd></div>
        </dl>
      </section>
      <FormError message={error ?? (query.error ? String(query.error) : undefined)} />
      <ul aria-label="Precheck items" className="divide-y divide-slate-100 overflow-hidden rounded-lg border border-slate-200 bg-white shadow-sm">
        {(view?.doc?.items ?? []).map((item) => (
          <PrecheckRow key={item.id} item={item} finished={Boolean(summary?.finished)} onConfirm={() => setConfirming(item)} />
        ))}
        {!view?.doc && (
          <li className="p-5 text-sm text-slate-500">
            {starting || awaitingDoc || !view ? 'Starting the precheck…' : 'No precheck has run for these settings yet: click Precheck Again.'}
          </li>
        )}
      </ul>
      {confirming && <IgnoreDialog item={confirming} onCancel={() => setConfirming(null)} onIgnore={() => ignore(confirming)} />}
      <div className="flex flex-wrap items-center justify-between gap-3 border-t border-slate-200 pt-4">
        <Button variant="secondary" onClick={onBack} disabled={running}>Previous</Button>
        <div className="flex gap-3">
          <Button variant="secondary" onClick={() => void start()} disabled={running}>Precheck Again</Button>
          <Button onClick={onNext} disabled={!summary?.canProceed || running}>Next: Purchase Instance</Button>
        </div>
      </div>
    </div>
  );
}

function PrecheckRow({ item, finished, onConfirm }: { item: PrecheckItemRecord; finished: boolean; onConfirm: () => void }) {
  const [open, setOpen] = useState(false);
  const style = STATUS_STYLE[item.status];
  const canIgnore = finished && item.ignorable && !item.ignored && (item.status === 'warning' || item.status === 'failed');
  return (
    <li aria-label={item.name} className="p-4">
      <div className="flex flex-wrap items-start gap-3">
        <span className={`inline-flex min-w-20 items-center justify-center gap-1 rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset ${style.className}`}>
          <span aria-hidden>{style.icon}</span>{style.label}
        </span>
        <div className="min-w-0 flex-1">
          <p className="text-sm font-medium text-slate-900">{item.name}{item.ignored && <span className="ml-2 rounded bg-slate-100 px-1.5 py-0.5 text-xs font-normal text-slate-600">Ignored</span>}</p>
          {item.reason && <p className="mt-0.5 text-sm text-slate-600">{item.reason}</p>}
          {finished && !item.ignorable && item.status === 'failed' && (
            <p className="mt-1 text-xs text-red-700">Connectivity, authentication and permission items cannot be ignored: fix the cause, then click Precheck Again.</p>
          )}
        </div>
        <div className="flex gap-2">
          {item.status !== 'pending' && (
            <Button variant="ghost" className="px-2 py-1" aria-expanded={open} onClick={() => setOpen(!open)}>View Details</Button>
          )}
          {canIgnore && <Button variant="ghost" className="px-2 py-1" onClick={onConfirm}>Confirm Alert Details</Button>}
        </div>
      </div>
      {open && (
        <div className="mt-3 space-y-2 rounded-md bg-slate-50 p-3 text-sm" aria-label={`${item.name} details`} role="region">
          {item.details.length > 0 ? (
            <ul className="list-disc space-y-1 pl-5 text-slate-700">{item.details.map((d, i) => <li key={i}>{d}</li>)}</ul>
          ) : <p className="text-slate-500">No further details.</p>}
          {item.fix && (
            <div>
              <p className="font-medium text-slate-700">How to fix</p>
              <pre className="mt-1 whitespace-pre-wrap rounded bg-slate-900 p-2 font-mono text-xs text-slate-100">{item.fix}</pre>
            </div>
          )}
        </div>
      )}
    </li>
  );
}

function IgnoreDialog({ item, onCancel, onIgnore }: { item: PrecheckItemRecord; onCancel: () => void; onIgnore: () => void }) {
  const ignoreRef = useRef<HTMLButtonElement>(null);
  useEffect(() => ignoreRef.current?.focus(), []);
  return (
    <div className="fixed inset-0 z-50 grid place-items-center bg-slate-900/40 p-4" onKeyDown={(e) => { if (e.key === 'Escape') onCancel(); }}>
      <div role="alertdialog" aria-modal="true" aria-labelledby="ignore-title" aria-describedby="ignore-risk" className="w-full max-w-lg space-y-4 rounded-lg bg-white p-6 shadow-xl">
        <h2 id="ignore-title" className="text-base font-semibold text-slate-900">Ignore “{item.name}”?</h2>
        <div id="ignore-risk" className="space-y-2 text-sm text-slate-600">
          <p>{item.reason}</p>
          <p className="font-medium text-amber-800">
            Risk: the task will start despite this {item.status === 'failed' ? 'failure' : 'warning'}. Issues such as data inconsistency
            {item.id === 'target-existence' ? ' (existing destination keys overwritten or mixed with the source’s)' : item.id === 'target-memory' ? ' or OOM failures on the destination' : item.id === 'target-eviction' ? ' (keys evicted from the destination)' : ''} may occur, which may pose risks to your business.
          </p>
        </div>
        <div className="flex justify-end gap-3">
          <Button variant="secondary" onClick={onCancel}>Cancel</Button>
          <Button ref={ignoreRef} variant="danger" onClick={onIgnore}>Ignore</Button>
        </div>
      </div>
    </div>
  );
}
