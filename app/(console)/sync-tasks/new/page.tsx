import { CreateTaskWizard } from '@/components/wizard/CreateTaskWizard';
import { requirePageUser } from '@/lib/auth/guard';
import { can } from '@/lib/auth/roles';
import { REGIONS, regionById } from '@/lib/catalog/regions';
import { AccessDenied } from '@/components/auth/AccessDenied';
import { firstParam, type SearchParams } from '@/lib/http/search-params';
import { listAllInstances } from '@/lib/instances/queries';
import { newTaskDraft } from '@/lib/tasks/draft';

export const dynamic = 'force-dynamic';

export default async function NewTaskPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const user = await requirePageUser();
  if (!can(user.role, 'operate')) return <AccessDenied role={user.role} need="operate" />;
  const region = regionById(firstParam(await searchParams, 'region'));
  const instances = await listAllInstances();
  return <CreateTaskWizard mode="create" initialDraft={newTaskDraft(region.id)} initialStep={0} instances={instances} regions={REGIONS} />;
}
