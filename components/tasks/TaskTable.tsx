import Link from 'next/link';
import type { TaskListItem } from '@/lib/tasks/queries';
import { ProgressBar } from '@/components/ui/ProgressBar';
import { StatusBadge } from './StatusBadge';
import { TaskActions } from './TaskActions';
import { formatDelay, formatTime } from './format';
import type { TaskNotice } from './TaskActions';

export function TaskTable({ tasks, onNotice }: { tasks: TaskListItem[]; onNotice?: (notice: TaskNotice) => void }) {
  return (
    <div className="overflow-x-auto">
      <table className="w-full text-left text-sm">
        <thead className="border-b border-slate-200 bg-slate-50 text-xs uppercase tracking-wide text-slate-500">
          <tr>
            <th className="px-4 py-3 font-medium">ID / Name</th>
            <th className="px-4 py-3 font-medium">Status</th>
            <th className="px-4 py-3 font-medium">Full Data Migration</th>
            <th className="px-4 py-3 font-medium">Delay</th>
            <th className="px-4 py-3 font-medium">Source → Destination</th>
            <th className="px-4 py-3 font-medium">Created</th>
            <th className="px-4 py-3 font-medium"><span className="sr-only">Actions</span></th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {tasks.map((t) => (
            <tr key={t.id} className="align-top hover:bg-slate-50/70">
              <td className="px-4 py-3">
                <Link href={`/sync-tasks/${encodeURIComponent(t.id)}?region=${encodeURIComponent(t.region)}`}
                  className="font-mono text-xs text-slate-500 hover:text-brand-600" tabIndex={-1}>
                  {t.id}
                </Link>
                <div className="font-medium text-slate-900">{t.name}</div>
                {t.scanMode && (
                  <span className="mt-1 inline-block rounded bg-amber-50 px-1.5 py-0.5 text-xs font-medium text-amber-800"
                    title="The source is read by SCAN and keyspace notifications, not replication: gaps are healed by re-scans, and a restart scans again.">
                    Scan mode
                  </span>
                )}
              </td>
              <td className="px-4 py-3">
                <StatusBadge status={t.status} />
                {t.alerts.length > 0 && (
                  <div className="mt-1 text-xs font-medium text-rose-700" role="status" title={t.alerts.join(' ')}>
                    Alert: {t.alerts.join(' ')}
                  </div>
                )}
              </td>
              <td className="px-4 py-3">
                {t.fullProgress === null
                  ? <span className="text-slate-500">Not included</span>
                  : <ProgressBar value={t.fullProgress} label={`Full data migration of ${t.name}`} />}
              </td>
              <td className="px-4 py-3 tabular-nums">{formatDelay(t.delayMs)}</td>
              <td className="px-4 py-3 font-mono text-xs">{t.source} → {t.target}</td>
              <td className="whitespace-nowrap px-4 py-3 text-slate-500"><time dateTime={t.createdAt}>{formatTime(t.createdAt)}</time></td>
              <td className="px-4 py-3">
                <TaskActions task={t} variant="row" onNotice={onNotice} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
