import Link from 'next/link';
import { notFound } from 'next/navigation';
import { AccessDenied } from '@/components/auth/AccessDenied';
import { CreateTaskWizard, type WizardStep } from '@/components/wizard/CreateTaskWizard';
import { EmptyState } from '@/components/ui/EmptyState';
import { requirePageUser } from '@/lib/auth/guard';
import { can } from '@/lib/auth/roles';
import { REGIONS } from '@/lib/catalog/regions';
import { firstParam, type SearchParams } from '@/lib/http/search-params';
import { listAllInstances } from '@/lib/instances/queries';
import { loadTaskDraft } from '@/lib/tasks/service';
import { canPerform, STATUS_LABEL } from '@/lib/tasks/status';

export const dynamic = 'force-dynamic';

const STEP_BY_NAME: Record<string, WizardStep> = { precheck: 4, purchase: 5 };

/** Edit Task Settings (Not Started, Precheck Passed, Precheck Failed), and steps 5–6 of a saved task. */
export default async function EditTaskPage({ params, searchParams }: { params: Promise<{ id: string }>; searchParams: Promise<SearchParams> }) {
  // Its own role check, whatever the proxy let through (a page is rendered for any method, and after actions).
  const user = await requirePageUser();
  if (!can(user.role, 'operate')) return <AccessDenied role={user.role} need="operate" />;
  const { id } = await params;
  const task = await loadTaskDraft(id);
  if (!task) notFound();
  if (!canPerform('edit', task.status) && task.status !== 'Prechecking') {
    return (
      <EmptyState title={`The settings of this task cannot be edited while it is ${STATUS_LABEL[task.status]}`}
        action={<Link href={`/sync-tasks?region=${encodeURIComponent(task.draft.region)}`} className="text-sm text-brand-600 underline">Back to the task list</Link>}>
        Edit Task Settings is available in the Not Started, Precheck Passed and Precheck Failed states.
      </EmptyState>
    );
  }
  const wanted = STEP_BY_NAME[firstParam(await searchParams, 'step') ?? ''] ?? 0;
  // Purchase needs a passed precheck; otherwise show the precheck.
  const step: WizardStep = task.status === 'Prechecking' ? 4 : wanted === 5 && task.status !== 'PrecheckPassed' ? 4 : wanted;
  const instances = await listAllInstances();
  return <CreateTaskWizard mode="edit" initialDraft={task.draft} initialStep={step} instances={instances} regions={REGIONS} />;
}
