'use client';
/** The task details page body, live: every part reads the React Query cache that the task's event stream feeds. */
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { Panel } from '@/components/ui/Panel';
import type { EndpointView, TaskDetails } from '@/lib/tasks/details';
import { STATUS_LABEL } from '@/lib/tasks/status';
import { CutoverPanel } from './CutoverPanel';
import { DataVerification } from './DataVerification';
import { PerformanceCharts } from './PerformanceCharts';
import { ProgressModules } from './ProgressModules';
import { ShardOffsets } from './ShardOffsets';
import { StatusBadge } from './StatusBadge';
import { TaskActions, type TaskNotice } from './TaskActions';
import { TaskConfiguration } from './TaskConfiguration';
import { TaskLog } from './TaskLog';
import { formatCount, formatTime } from './format';
import { activeSample } from './live-view';
import { useTaskLive, type StreamStatus } from './useTaskLive';

function endpointText(e: EndpointView | null): string {
  return e ? (e.instanceId ?? `${e.host}:${e.port}`) : 'unknown';
}

const STREAM_LABEL: Record<StreamStatus, { text: string; dot: string }> = {
  connecting: { text: 'Connecting…', dot: 'bg-slate-400' },
  live: { text: 'Live', dot: 'bg-emerald-500 animate-pulse' },
  reconnecting: { text: 'Reconnecting…', dot: 'bg-amber-500' },
  gone: { text: 'Live updates stopped; refreshing every few seconds', dot: 'bg-slate-400' },
};

export function TaskDetailsView({ details }: { details: TaskDetails }) {
  const router = useRouter();
  const { view, stream } = useTaskLive(details.state.id, { state: details.state, logs: details.logs, samples: details.samples });
  const [notice, setNotice] = useState<TaskNotice | null>(null);
  const { state } = view;
  const sample = activeSample(view);
  const listHref = `/sync-tasks?region=${encodeURIComponent(state.region)}`;

  return (
    <div className="space-y-5">
      <nav aria-label="Breadcrumb" className="text-sm text-slate-500">
        <Link href={listHref} className="hover:text-brand-600">Data Synchronization Tasks</Link>
        <span aria-hidden className="mx-2">/</span>
        <span className="text-slate-700" aria-current="page">{state.name}</span>
      </nav>

      <section aria-label="Task summary" className="rounded-lg border border-slate-200 bg-white p-5 shadow-sm">
        <div className="flex flex-col gap-4 lg:flex-row lg:items-start lg:justify-between">
          <div className="min-w-0 flex-1 space-y-1.5">
            <div className="flex flex-wrap items-center gap-3">
              <h1 className="truncate text-xl font-semibold tracking-tight text-slate-900">{state.name}</h1>
              <span role="status" aria-label={`Status: ${STATUS_LABEL[state.status]}`}><StatusBadge status={state.status} /></span>
            </div>
            <dl className="flex flex-wrap gap-x-5 gap-y-1 text-xs text-slate-500">
              <div className="flex gap-1"><dt>ID</dt><dd className="font-mono text-slate-700">{state.id}</dd></div>
              <div className="flex gap-1">
                <dt>Source → Destination</dt>
                <dd className="font-mono text-slate-700">{endpointText(details.config.source)} → {endpointText(details.config.target)}</dd>
              </div>
              <div className="flex gap-1"><dt>Instance Class</dt><dd className="text-slate-700">{state.instanceClass} ({state.instanceClassRate})</dd></div>
              <div className="flex gap-1"><dt>Created</dt><dd className="text-slate-700">{formatTime(state.createdAt)} UTC</dd></div>
              {state.startedAt && <div className="flex gap-1"><dt>Started</dt><dd className="text-slate-700">{formatTime(state.startedAt)} UTC</dd></div>}
              {state.endedAt && <div className="flex gap-1"><dt>Ended</dt><dd className="text-slate-700">{formatTime(state.endedAt)} UTC</dd></div>}
            </dl>
            <p className="flex items-center gap-1.5 text-xs text-slate-500">
              <span aria-hidden className={`size-2 rounded-full ${STREAM_LABEL[stream].dot}`} />
              {STREAM_LABEL[stream].text}
            </p>
          </div>
          <div className="shrink-0">
            <TaskActions task={state} variant="toolbar" onNotice={setNotice} onReleased={() => router.push(listHref)} />
          </div>
        </div>
        {state.status === 'Failed' && (
          <div role="alert" className="mt-4 rounded-md border border-red-200 bg-red-50 px-4 py-3 text-sm text-red-800">
            <p className="font-semibold">The task failed</p>
            <p className="mt-1 break-words">{state.errorMessage ?? 'The engine stopped without a message; see the task log below.'}</p>
            <p className="mt-1 text-xs text-red-700">
              Fix the cause, then Start the task again: it resumes from its checkpoint when the source still holds it, otherwise it runs a new full migration.
            </p>
          </div>
        )}
        {state.evictedKeys > 0 && (
          <div role="alert" aria-label="Keys evicted by the destination" className="mt-4 rounded-md border border-amber-200 bg-amber-50 px-4 py-3 text-sm text-amber-900">
            <p className="font-semibold">The destination evicted {formatCount(state.evictedKeys)} keys while the task ran</p>
            <p className="mt-1">
              It does not hold everything the task wrote: its maxmemory is too small for the data and its maxmemory-policy evicts keys instead of
              refusing writes. Give it more memory or set maxmemory-policy noeviction, empty it, and run the task again.
            </p>
          </div>
        )}
        {state.alerts.length > 0 && (
          <div role="alert" className="mt-4 rounded-md border border-amber-200 bg-amber-50 px-4 py-3 text-sm text-amber-900">
            <p className="font-semibold">Monitoring and Alerting</p>
            {state.alerts.map((a) => <p key={a} className="mt-1">{a}</p>)}
          </div>
        )}
        {state.status === 'Released' && (
          <p className="mt-4 rounded-md bg-slate-100 px-4 py-3 text-sm text-slate-700">
            This task was released{state.releasedAt ? ` at ${formatTime(state.releasedAt)} UTC` : ''}: its resources are freed and it no longer appears in the task list.
          </p>
        )}
        {notice && (
          <div role="status" className={`mt-4 flex flex-wrap items-center gap-3 rounded-md px-4 py-2.5 text-sm ring-1 ring-inset ${
            notice.tone === 'ok' ? 'bg-emerald-50 text-emerald-800 ring-emerald-200' : 'bg-red-50 text-red-700 ring-red-200'}`}>
            <span className="flex-1">{notice.text}</span>
            {notice.href && <Link href={notice.href} className="font-medium underline">{notice.linkText ?? 'View'}</Link>}
            <button type="button" onClick={() => setNotice(null)} className="font-medium underline">Dismiss</button>
          </div>
        )}
      </section>

      <ProgressModules state={state} sample={sample} />

      <CutoverPanel state={state} delayMs={sample?.delayMs ?? state.delayMs} />

      <Panel title="Performance" description="The task's last 24 hours of running, kept across console restarts: one sample per second for the latest ten minutes, one point per minute before that (times in UTC)." bodyClassName="p-4">
        <PerformanceCharts samples={view.samples} />
      </Panel>

      <Panel title="Source Offsets" description="Per source shard: the checkpoint a restart resumes from (partial resync) and the offset received so far." bodyClassName="">
        <ShardOffsets shards={state.shards} sample={sample} />
      </Panel>

      <Panel title="Data Verification" description="Proof that the destination holds what the source holds, key by key: results per round and per DB." bodyClassName="p-5">
        <DataVerification taskId={state.id} overview={state.verification} settings={details.config.verification} />
      </Panel>

      <Panel title="Task Log" bodyClassName="">
        <TaskLog logs={view.logs} />
      </Panel>

      <Panel title="Configuration" bodyClassName="">
        <TaskConfiguration config={details.config} instanceClass={state.instanceClass} instanceClassRate={state.instanceClassRate} />
      </Panel>
    </div>
  );
}
