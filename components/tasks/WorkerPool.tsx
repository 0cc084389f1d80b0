'use client';
/**
 * Distributed mode's workers (docs/deployment.md): each one's health and the shards it runs, polled from
 * `/api/workers` every two seconds. Shown on Sync Tasks and Instances; on a task's details page, only
 * the workers running that task. Renders nothing when the console runs the engines itself.
 */
import Link from 'next/link';
import { useQuery } from '@tanstack/react-query';
import { Panel } from '@/components/ui/Panel';
import type { WorkerPool as Pool } from '@/lib/tasks/workers';
import { formatTime } from './format';

async function fetchPool(): Promise<Pool | null> {
  const res = await fetch('/api/workers', { cache: 'no-store' });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return ((await res.json()) as { pool: Pool | null }).pool;
}

export function WorkerPool({ initial, taskId }: { initial: Pool | null; taskId?: string }) {
  const query = useQuery({
    queryKey: ['workers'],
    queryFn: fetchPool,
    initialData: initial,
    refetchInterval: 2000,
    refetchIntervalInBackground: false,
    staleTime: 1000,
  });
  const pool = query.data;
  if (!pool) return null;
  const workers = taskId ? pool.workers.filter((w) => w.running.some((r) => r.taskId === taskId)) : pool.workers;
  const alive = pool.workers.filter((w) => w.alive);
  const used = alive.reduce((n, w) => n + w.running.length, 0);
  const slots = alive.reduce((n, w) => n + w.slots, 0);
  const description = taskId
    ? 'The workers running this task\'s shards. A worker that stops reporting has its shards taken over by another within the stall interval.'
    : `Distributed mode: ${alive.length} of ${pool.workers.length} worker(s) responding, ${used} of ${slots} shard slot(s) in use.`;
  return (
    <Panel title="Workers" description={description} bodyClassName="">
      {pool.error && <p role="alert" className="border-b border-amber-200 bg-amber-50 px-5 py-2.5 text-sm text-amber-800">{pool.error}</p>}
      {query.isError && (
        <p role="alert" className="border-b border-amber-200 bg-amber-50 px-5 py-2.5 text-sm text-amber-800">
          The workers could not be refreshed ({query.error.message}); showing the last known state.
        </p>
      )}
      {workers.length === 0 ? (
        <p className="px-5 py-6 text-sm text-slate-500">
          {taskId ? 'No worker runs this task now.' : 'No worker has reported. Start one with npm run worker (docs/deployment.md): tasks wait on the queue until one does.'}
        </p>
      ) : (
        <div className="overflow-x-auto">
          <table className="w-full text-left text-sm">
            <caption className="sr-only">Workers and the shards they run</caption>
            <thead className="bg-slate-50 text-xs uppercase tracking-wide text-slate-500">
              <tr>
                <th scope="col" className="px-4 py-2.5 font-medium">Worker</th>
                <th scope="col" className="px-4 py-2.5 font-medium">Health</th>
                <th scope="col" className="px-4 py-2.5 font-medium">Shards</th>
                <th scope="col" className="px-4 py-2.5 text-right font-medium">Load (1 min)</th>
                <th scope="col" className="px-4 py-2.5 font-medium">Host</th>
                <th scope="col" className="px-4 py-2.5 font-medium">Started (UTC)</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {workers.map((w) => (
                <tr key={w.id} data-worker={w.id}>
                  <th scope="row" className="px-4 py-2.5 font-mono text-xs font-normal text-slate-800">{w.id}</th>
                  <td className="px-4 py-2.5 text-xs">
                    {w.alive
                      ? <span className="font-medium text-emerald-700">Responding</span>
                      : <span className="font-medium text-red-700">Not responding since {formatTime(w.lastSeenAt)}</span>}
                  </td>
                  <td className="px-4 py-2.5 text-xs">
                    <span className="text-slate-500">{w.running.length} of {w.slots}{!w.alive && w.running.length > 0 ? ' when last seen (taken over by another worker within the stall interval)' : ''}</span>
                    {w.running.length > 0 && (
                      <ul className="mt-1 space-y-0.5">
                        {w.running.map((r) => (
                          <li key={`${r.taskId} ${r.shard}`}>
                            <Link href={`/sync-tasks/${encodeURIComponent(r.taskId)}`} className="text-brand-600 hover:underline">{r.taskName ?? r.taskId}</Link>
                            <span className="font-mono text-slate-600"> · {r.shard}</span>
                          </li>
                        ))}
                      </ul>
                    )}
                  </td>
                  <td className="px-4 py-2.5 text-right font-mono text-xs tabular-nums">
                    <span className={w.cores > 0 && w.load1 > w.cores ? 'text-amber-700' : ''}>{w.load1.toFixed(2)}</span>
                    {w.cores > 0 && <span className="text-slate-400"> / {w.cores} cores</span>}
                  </td>
                  <td className="px-4 py-2.5 font-mono text-xs text-slate-600">{w.host} (pid {w.pid})</td>
                  <td className="px-4 py-2.5 font-mono text-xs text-slate-500"><span className="whitespace-nowrap">{formatTime(w.startedAt)}</span></td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Panel>
  );
}
