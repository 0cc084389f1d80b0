import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { TaskAuditTrail } from '@/components/audit/TaskAuditTrail';
import { TaskDetailsView } from '@/components/tasks/TaskDetailsView';
import { requirePageUser } from '@/lib/auth/guard';
import { getTaskDetails } from '@/lib/tasks/details';

export const dynamic = 'force-dynamic';

type Params = { params: Promise<{ id: string }> };

export async function generateMetadata({ params }: Params): Promise<Metadata> {
  const { id } = await params;
  return { title: `Task ${id} — redis-dts` };
}

/** Task details: status, progress modules, performance charts, offsets, log and configuration, updated live. */
export default async function TaskDetailsPage({ params }: Params) {
  await requirePageUser();
  const { id } = await params;
  const details = await getTaskDetails(id);
  if (!details) notFound();
  return <><TaskDetailsView details={details} /><TaskAuditTrail taskId={id} /></>;
}
