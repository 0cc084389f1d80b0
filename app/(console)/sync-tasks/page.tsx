import Link from 'next/link';
import { LiveTaskList } from '@/components/tasks/LiveTaskList';
import { TaskFilters } from '@/components/tasks/TaskFilters';
import { WorkerPool } from '@/components/tasks/WorkerPool';
import { requirePageUser } from '@/lib/auth/guard';
import { can } from '@/lib/auth/roles';
import { regionById } from '@/lib/catalog/regions';
import { firstParam, type SearchParams } from '@/lib/http/search-params';
import { listTasks } from '@/lib/tasks/queries';
import { workerPool } from '@/lib/tasks/workers';

export const dynamic = 'force-dynamic';

export default async function SyncTasksPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const user = await requirePageUser();
  const params = await searchParams;
  const region = regionById(firstParam(params, 'region'));
  const status = firstParam(params, 'status');
  const search = firstParam(params, 'q');
  const [tasks, pool] = await Promise.all([listTasks({ region: region.id, status, search }), workerPool()]);
  const readAt = Date.now();
  const createHref = `/sync-tasks/new?region=${encodeURIComponent(region.id)}`;

  return (
    <div className="space-y-5">
      <div className="flex flex-wrap items-end justify-between gap-4">
        <div>
          <h1 className="text-xl font-semibold tracking-tight">Data Synchronization Tasks</h1>
          <p className="mt-1 text-sm text-slate-500">
            One-way synchronization between Redis / Tair databases in {region.label}: full migration, then every write in real time.
          </p>
        </div>
        {can(user.role, 'operate') && (
          <Link href={createHref} className="rounded-md bg-brand-500 px-4 py-2 text-sm font-medium text-white shadow-sm hover:bg-brand-600">
            Create Task
          </Link>
        )}
      </div>
      <TaskFilters />
      <LiveTaskList region={region.id} status={status} search={search} initialTasks={tasks} initialAt={readAt} />
      <WorkerPool initial={pool} />
    </div>
  );
}
