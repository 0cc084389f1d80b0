import { InstanceManager } from '@/components/instances/InstanceManager';
import { requirePageUser } from '@/lib/auth/guard';
import { REGIONS, regionById } from '@/lib/catalog/regions';
import { firstParam, type SearchParams } from '@/lib/http/search-params';
import { listInstances } from '@/lib/instances/queries';

export const dynamic = 'force-dynamic';

export default async function InstancesPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  await requirePageUser();
  const region = regionById(firstParam(await searchParams, 'region'));
  const instances = await listInstances(region.id);
  return <InstanceManager region={region} regions={REGIONS} instances={instances} />;
}
