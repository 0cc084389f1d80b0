import { db } from '@/lib/db/client';
import { containsText } from '@/lib/db/text-filter';
import { LINK_SPECS, type LinkSpecId } from '@/lib/catalog/link-specs';
import { regionById } from '@/lib/catalog/regions';
import { activeAlerts } from '@/lib/engine/alerts';
import { engineManager } from '@/lib/engine/manager';
import { endpointLabel } from './endpoint';
import { advancedSchema, DEFAULT_ADVANCED, parseStored } from './options';
import { canPerform, hasLiveDelay, isTaskStatus, TASK_STATUSES, type TaskStatus } from './status';

export interface TaskListFilter {
  region: string;
  status?: string;
  search?: string;
}

/**
 * What a user can do to a task from the list or the details page, besides View Details
 * (always). `upgrade` is Upgrade Instance Class.
 */
export const TASK_CONTROLS = ['start', 'pause', 'end', 'release', 'clone', 'edit', 'upgrade'] as const;
export type TaskControl = (typeof TASK_CONTROLS)[number];

/** Upgrading the instance class is allowed while the task holds (or held) an engine: Running, Paused, Failed. */
export const UPGRADE_ALLOWED: readonly TaskStatus[] = ['Running', 'Paused', 'Failed'];

export function canUpgrade(status: TaskStatus): boolean {
  return UPGRADE_ALLOWED.includes(status);
}

/** The classes above `current` (an upgrade never lowers the rate); empty at the top class. */
export function upgradeTargets(current: string): LinkSpecId[] {
  const at = LINK_SPECS.findIndex((s) => s.id === current);
  return LINK_SPECS.slice(at + 1).map((s) => s.id);
}

/** The controls a task in `status` offers, in display order (PRODUCT.md, "States and actions"). */
export function availableControls(status: TaskStatus, instanceClass: string): TaskControl[] {
  const out: TaskControl[] = [];
  if (canPerform('start', status)) out.push('start');
  if (canPerform('pause', status)) out.push('pause');
  if (canPerform('end', status)) out.push('end');
  if (canPerform('release', status)) out.push('release');
  if (canPerform('edit', status)) out.push('edit');
  if (canUpgrade(status) && upgradeTargets(instanceClass).length > 0) out.push('upgrade');
  if (canPerform('clone', status)) out.push('clone');
  return out;
}

export function statusOf(raw: string): TaskStatus {
  return isTaskStatus(raw) ? raw : 'Failed';
}

export interface TaskListItem {
  id: string;
  name: string;
  region: string;
  status: TaskStatus;
  /** Percent of the full migration, or null when the task has none (Incremental Data Synchronization only). */
  fullProgress: number | null;
  /** Synchronization delay; null unless the stream is being replayed or held. */
  delayMs: number | null;
  /** Monitoring and Alerting: what the task's state raises now (empty when monitoring is off). */
  alerts: string[];
  source: string;
  target: string;
  /** The source is read by scan (the Read Method; docs/scan-mode.md), not by replication. */
  scanMode: boolean;
  instanceClass: string;
  createdAt: string;
  controls: TaskControl[];
  /** The classes Upgrade Instance Class offers. */
  upgradeTargets: string[];
}

/** Tasks of a region, newest first; Released tasks are hidden (PRODUCT.md: Release hides the task). */
export async function listTasks(filter: TaskListFilter): Promise<TaskListItem[]> {
  const rows = await db().task.findMany({
    where: taskWhere(filter),
    orderBy: { createdAt: 'desc' },
    take: 500,
  });
  return rows.map(toListItem);
}

/** The list's filter as a query: a region (or all), a status (never Released: Release hides the task), a search. */
function taskWhere(filter: { region?: string; status?: string; search?: string }) {
  const search = filter.search?.trim();
  const status = isTaskStatus(filter.status) && filter.status !== 'Released' ? filter.status : undefined;
  return {
    ...(filter.region ? { region: filter.region } : {}),
    status: status ?? { not: 'Released' },
    ...(search ? { OR: [{ id: containsText(search) }, { name: containsText(search) }] } : {}),
  };
}

type TaskRow = Awaited<ReturnType<ReturnType<typeof db>['task']['findMany']>>[number];

function toListItem(t: TaskRow): TaskListItem {
  const s = statusOf(t.status);
  // The engine's latest report when it runs here (the record is written once a second at most).
  const delayMs = engineManager().liveProgress(t.id)?.delayMs ?? t.delayMs;
  const advanced = parseStored(advancedSchema, t.advanced, DEFAULT_ADVANCED);
  return {
    id: t.id,
    name: t.name,
    region: t.region,
    status: s,
    fullProgress: t.syncTypes === 'incremental' ? null : t.fullProgress,
    delayMs: hasLiveDelay(s) ? delayMs : null,
    alerts: activeAlerts(advanced.monitoring, s, delayMs),
    source: endpointLabel(t.source),
    target: endpointLabel(t.target),
    scanMode: advanced.readMethod === 'scan',
    instanceClass: t.instanceClass,
    createdAt: t.createdAt.toISOString(),
    controls: availableControls(s, t.instanceClass),
    upgradeTargets: upgradeTargets(t.instanceClass),
  };
}

export interface TaskPageQuery {
  /** Every region when absent. */
  region?: string;
  status?: string;
  search?: string;
  limit: number;
  /** The last task ID of the previous page. */
  cursor?: string;
}

/** A page of tasks, newest first (the REST API's list); Released tasks are hidden as in the list. */
export async function listTasksPage(q: TaskPageQuery): Promise<{ tasks: TaskListItem[]; nextCursor: string | null }> {
  const rows = await db().task.findMany({
    where: taskWhere(q),
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: q.limit + 1,
    ...(q.cursor ? { cursor: { id: q.cursor }, skip: 1 } : {}),
  });
  const page = rows.slice(0, q.limit);
  return { tasks: page.map(toListItem), nextCursor: rows.length > q.limit ? page[page.length - 1].id : null };
}

/** Query-string input of the list route (`/api/tasks`), checked at the boundary. */
export function listFilterFromParams(params: URLSearchParams): TaskListFilter {
  const status = params.get('status') ?? undefined;
  return {
    region: regionById(params.get('region')).id,
    status: status && (TASK_STATUSES as readonly string[]).includes(status) ? status : undefined,
    search: params.get('q')?.slice(0, 200) || undefined,
  };
}
