/** Audit entries as a table: when (UTC), who, what, which target, detail, from where. */
import Link from 'next/link';
import type { AuditEntry } from '@/lib/audit';

function when(iso: string): string {
  return iso.replace('T', ' ').replace(/\.\d+Z$/, '');
}

function Target({ e }: { e: AuditEntry }) {
  const label = e.targetName ? `${e.targetName}${e.targetId && e.targetType === 'task' ? ` (${e.targetId})` : ''}` : e.targetId ?? '—';
  if (e.targetType === 'task' && e.targetId) {
    return <Link href={`/sync-tasks/${encodeURIComponent(e.targetId)}`} className="text-brand-600 hover:underline">{label}</Link>;
  }
  return <span>{label}</span>;
}

export function AuditTable({ entries, showTarget = true, label = 'Audit trail' }: { entries: AuditEntry[]; showTarget?: boolean; label?: string }) {
  return (
    <table className="w-full text-left text-sm" aria-label={label}>
      <thead className="border-b border-slate-200 bg-slate-50 text-xs uppercase tracking-wide text-slate-500">
        <tr>
          <th className="px-4 py-2.5 font-medium">Time (UTC)</th>
          <th className="px-4 py-2.5 font-medium">User</th>
          <th className="px-4 py-2.5 font-medium">Action</th>
          {showTarget && <th className="px-4 py-2.5 font-medium">Target</th>}
          <th className="px-4 py-2.5 font-medium">Detail</th>
          <th className="px-4 py-2.5 font-medium">Address</th>
        </tr>
      </thead>
      <tbody className="divide-y divide-slate-100">
        {entries.map((e) => (
          <tr key={e.id}>
            <td className="whitespace-nowrap px-4 py-2 font-mono text-xs text-slate-600">{when(e.at)}</td>
            <td className="px-4 py-2 font-medium">{e.username}</td>
            <td className="px-4 py-2">{e.actionLabel}</td>
            {showTarget && <td className="px-4 py-2"><span className="mr-1 text-xs text-slate-500">{e.targetType}</span><Target e={e} /></td>}
            <td className="px-4 py-2 text-slate-600">{e.detail || '—'}</td>
            <td className="px-4 py-2 font-mono text-xs text-slate-500">{e.address ?? '—'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
