import type { TaskListItem } from '@/lib/tasks/queries';
import { ProgressBar } from '@/components/ui/ProgressBar';
import { StatusBadge } from './StatusBadge';

function formatDelay(ms: number | null): string {
  if (ms === null) return '—';
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

export function TaskTable({ tasks }: { tasks: TaskListItem[] }) {
  return (
    <table className="w-full text-left text-sm">
      <thead className="border-b border-slate-200 bg-slate-50 text-xs uppercase tracking-wide text-slate-500">
        <tr>
          <th className="px-4 py-3 font-medium">ID / Name</th>
          <th className="px-4 py-3 font-medium">Status</th>
          <th className="px-4 py-3 font-medium">Full Data Migration</th>
          <th className="px-4 py-3 font-medium">Delay</th>
          <th className="px-4 py-3 font-medium">Source → Destination</th>
          <th className="px-4 py-3 font-medium">Created</th>
        </tr>
      </thead>
      <tbody className="divide-y divide-slate-100">
        {tasks.map((t) => (
          <tr key={t.id} className="hover:bg-slate-50">
            <td className="px-4 py-3">
              <div className="font-mono text-xs text-slate-500">{t.id}</div>
              <div className="font-medium text-slate-900">{t.name}</div>
            </td>
            <td className="px-4 py-3"><StatusBadge status={t.status} /></td>
            <td className="px-4 py-3"><ProgressBar value={t.fullProgress} label={`Full data migration of ${t.name}`} /></td>
            <td className="px-4 py-3 tabular-nums">{formatDelay(t.delayMs)}</td>
            <td className="px-4 py-3 font-mono text-xs">{t.source} → {t.target}</td>
            <td className="px-4 py-3 text-slate-500"><time dateTime={t.createdAt}>{t.createdAt.slice(0, 19).replace('T', ' ')}</time></td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
