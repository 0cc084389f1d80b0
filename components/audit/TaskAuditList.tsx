'use client';
import { useQuery } from '@tanstack/react-query';
import type { AuditEntry } from '@/lib/audit';
import { AuditTable } from './AuditTable';

/** The task's audit entries, refreshed every few seconds (actions on the page add entries). */
export function TaskAuditList({ taskId, initial }: { taskId: string; initial: AuditEntry[] }) {
  const { data } = useQuery({
    queryKey: ['audit', 'task', taskId],
    queryFn: async () => {
      const res = await fetch(`/api/audit?task=${encodeURIComponent(taskId)}&limit=200`, { cache: 'no-store' });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      return ((await res.json()) as { entries: AuditEntry[] }).entries;
    },
    initialData: initial,
    refetchInterval: 3_000,
  });
  if (data.length === 0) return <p className="px-5 py-4 text-sm text-slate-500">No recorded changes yet.</p>;
  return <AuditTable entries={data} showTarget={false} label="Task audit trail" />;
}
