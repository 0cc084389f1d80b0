'use client';
/**
 * The task list, kept live: React Query polls `/api/tasks` (every two seconds, and
 * at once after an action), starting from the rows the server rendered.
 */
import Link from 'next/link';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { EmptyState } from '@/components/ui/EmptyState';
import type { TaskListItem } from '@/lib/tasks/queries';
import { TaskTable } from './TaskTable';
import type { TaskNotice } from './TaskActions';

interface Props {
  region: string;
  status?: string;
  search?: string;
  initialTasks: TaskListItem[];
  /** When the server read `initialTasks` (ms since the epoch). */
  initialAt: number;
}

async function fetchTasks(region: string, status?: string, search?: string): Promise<TaskListItem[]> {
  const params = new URLSearchParams({ region });
  if (status) params.set('status', status);
  if (search) params.set('q', search);
  const res = await fetch(`/api/tasks?${params.toString()}`, { cache: 'no-store' });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  const body = (await res.json()) as { tasks: TaskListItem[] };
  return body.tasks;
}

export function LiveTaskList({ region, status, search, initialTasks, initialAt }: Props) {
  const [notice, setNotice] = useState<TaskNotice | null>(null);
  const query = useQuery({
    queryKey: ['tasks', region, status ?? '', search ?? ''],
    queryFn: () => fetchTasks(region, status, search),
    initialData: initialTasks,
    initialDataUpdatedAt: initialAt,
    refetchInterval: 2000,
    refetchIntervalInBackground: false,
    staleTime: 1000,
  });
  const tasks = query.data;
  const filtered = Boolean(status || search);

  return (
    <div className="space-y-3">
      {notice && (
        <div role="status" className={`flex flex-wrap items-center gap-3 rounded-md px-4 py-2.5 text-sm ring-1 ring-inset ${
          notice.tone === 'ok' ? 'bg-emerald-50 text-emerald-800 ring-emerald-200' : 'bg-red-50 text-red-700 ring-red-200'}`}>
          <span className="flex-1">{notice.text}</span>
          {notice.href && <Link href={notice.href} className="font-medium underline">{notice.linkText ?? 'View'}</Link>}
          <button type="button" onClick={() => setNotice(null)} className="font-medium underline">Dismiss</button>
        </div>
      )}
      {query.isError && (
        <p role="alert" className="rounded-md bg-amber-50 px-4 py-2 text-sm text-amber-800 ring-1 ring-inset ring-amber-200">
          The list could not be refreshed ({query.error.message}); showing the last known state. Retrying…
        </p>
      )}
      <section aria-label="Tasks" className="overflow-hidden rounded-lg border border-slate-200 bg-white shadow-sm">
        {tasks.length > 0 ? (
          <TaskTable tasks={tasks} onNotice={setNotice} />
        ) : filtered ? (
          <EmptyState title="No tasks match these filters">Clear the status filter or the search to see every task.</EmptyState>
        ) : (
          <EmptyState title="No data synchronization tasks yet">
            Create a task to copy every key of a source Redis to a destination and keep it in sync.
          </EmptyState>
        )}
      </section>
    </div>
  );
}
