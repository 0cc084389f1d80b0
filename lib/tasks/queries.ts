import { db } from '@/lib/db/client';
import { endpointLabel } from './endpoint';
import { isTaskStatus, type TaskStatus } from './status';

export interface TaskListFilter {
  region: string;
  status?: string;
  search?: string;
}

export interface TaskListItem {
  id: string;
  name: string;
  status: TaskStatus;
  fullProgress: number;
  delayMs: number | null;
  source: string;
  target: string;
  createdAt: string;
}

/** Tasks of a region, newest first; Released tasks are hidden (PRODUCT.md: Release hides the task). */
export async function listTasks(filter: TaskListFilter): Promise<TaskListItem[]> {
  const search = filter.search?.trim();
  const rows = await db().task.findMany({
    where: {
      region: filter.region,
      status: isTaskStatus(filter.status) ? filter.status : { not: 'Released' },
      ...(search ? { OR: [{ id: { contains: search } }, { name: { contains: search } }] } : {}),
    },
    orderBy: { createdAt: 'desc' },
    take: 500,
  });
  return rows.map((t) => ({
    id: t.id,
    name: t.name,
    status: isTaskStatus(t.status) ? t.status : 'Failed',
    fullProgress: t.fullProgress,
    delayMs: t.delayMs,
    source: endpointLabel(t.source),
    target: endpointLabel(t.target),
    createdAt: t.createdAt.toISOString(),
  }));
}
