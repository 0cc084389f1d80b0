import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { TaskAuditTrail } from '@/components/audit/TaskAuditTrail';
import { TaskDetailsView } from '@/components/tasks/TaskDetailsView';
import { WorkerPool } from '@/components/tasks/WorkerPool';
import { requirePageUser } from '@/lib/auth/guard';
import { getTaskDetails } from '@/lib/tasks/details';
import { workerPool } from '@/lib/tasks/workers';

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
  const [details, pool] = await Promise.all([getTaskDetails(id), workerPool()]);
  if (!details) notFound();
  return <><TaskDetailsView details={details} />{pool && <div className="mt-5"><WorkerPool initial={pool} taskId={id} /></div>}<TaskAuditTrail taskId={id} /></>;
}
