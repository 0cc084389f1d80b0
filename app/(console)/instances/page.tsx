import { InstanceManager } from '@/components/instances/InstanceManager';
import { WorkerPool } from '@/components/tasks/WorkerPool';
import { requirePageUser } from '@/lib/auth/guard';
import { REGIONS, regionById } from '@/lib/catalog/regions';
import { firstParam, type SearchParams } from '@/lib/http/search-params';
import { listInstances } from '@/lib/instances/queries';
import { workerPool } from '@/lib/tasks/workers';

export const dynamic = 'force-dynamic';

export default async function InstancesPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  await requirePageUser();
  const region = regionById(firstParam(await searchParams, 'region'));
  const [instances, pool] = await Promise.all([listInstances(region.id), workerPool()]);
  return (
    <div className="space-y-5">
      <InstanceManager region={region} regions={REGIONS} instances={instances} />
      <WorkerPool initial={pool} />
    </div>
  );
}
