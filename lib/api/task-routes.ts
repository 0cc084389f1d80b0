/**
 * What each task and instance operation of the REST API does (lib/api/operations.ts),
 * through the same lib functions and server actions as the console's pages: the
 * actions check access and state themselves and write the audit trail.
 */
import { listAllInstances, listInstances, readInstance } from '@/lib/instances/queries';
import type { InstanceInput } from '@/lib/instances/schema';
import { deleteInstance, saveInstance } from '@/lib/instances/service';
import { cloneTaskAction, cutoverTaskAction, performTaskAction, upgradeInstanceClassAction, type EngineAction } from '@/lib/tasks/actions';
import { readTaskConfig, readTaskLogs, readTaskState } from '@/lib/tasks/details';
import type { TaskDraft } from '@/lib/tasks/draft';
import { readPrecheck } from '@/lib/tasks/precheck';
import { listTasksPage, statusOf } from '@/lib/tasks/queries';
import { readVerificationOverview, readVerificationRun } from '@/lib/tasks/verification';
import { stopVerificationAction, verifyNowAction } from '@/lib/tasks/verification-actions';
import { ignorePrecheckItemAction, saveTaskAction, startPrecheckAction } from '@/lib/tasks/wizard-actions';
import { ApiError, invalid, refused } from './errors';
import type { ApiContext } from './handler';
import { buildOpenApi } from './openapi';
import { workerPool } from '@/lib/tasks/workers';

async function taskOr404(taskId: string) {
  const [task, config] = await Promise.all([readTaskState(taskId), readTaskConfig(taskId)]);
  if (!task || !config) throw new ApiError('not_found', `There is no task ${taskId}.`);
  return { task, config };
}

async function stateOr404(taskId: string) {
  const task = await readTaskState(taskId);
  if (!task) throw new ApiError('not_found', `There is no task ${taskId}.`);
  return task;
}

export async function listTasks(ctx: ApiContext<{ region?: string; status?: string; q?: string; limit: number; cursor?: string }>) {
  const { region, status, q, limit, cursor } = ctx.query;
  return listTasksPage({ region, status, search: q, limit, cursor });
}

export async function createTask(ctx: ApiContext<never, Omit<TaskDraft, 'taskId'>>) {
  const saved = await saveTaskAction({ ...ctx.body, taskId: undefined });
  if (!saved.ok) throw invalid(saved.errors);
  return taskOr404(saved.taskId);
}

export async function getTask(ctx: ApiContext) {
  return taskOr404(ctx.params.taskId);
}

export async function updateTask(ctx: ApiContext<never, Omit<TaskDraft, 'taskId'>>) {
  const { taskId } = ctx.params;
  const current = await stateOr404(taskId);
  if (!current.controls.includes('edit')) throw new ApiError('invalid_state', `The settings of a task that is ${current.status} cannot be changed.`);
  const saved = await saveTaskAction({ ...ctx.body, taskId });
  if (!saved.ok) throw invalid(saved.errors);
  return taskOr404(taskId);
}

export async function getTaskLogs(ctx: ApiContext<{ after: number; limit: number }>) {
  await stateOr404(ctx.params.taskId);
  return { logs: await readTaskLogs(ctx.params.taskId, ctx.query.after, ctx.query.limit) };
}

async function precheckOr404(taskId: string) {
  const view = await readPrecheck(taskId);
  if (!view) throw new ApiError('not_found', `There is no task ${taskId}.`);
  return view;
}

export async function startPrecheck(ctx: ApiContext) {
  const r = await startPrecheckAction(ctx.params.taskId);
  if (!r.ok) throw refused(r);
  return precheckOr404(ctx.params.taskId);
}

export async function getPrecheck(ctx: ApiContext) {
  return precheckOr404(ctx.params.taskId);
}

export async function ignorePrecheckItem(ctx: ApiContext) {
  const r = await ignorePrecheckItemAction(ctx.params.taskId, ctx.params.itemId);
  if (!r.ok) throw refused(r);
  return precheckOr404(ctx.params.taskId);
}

const ENGINE_ACTION: Record<string, EngineAction> = { startTask: 'start', resumeTask: 'start', pauseTask: 'pause', endTask: 'end', releaseTask: 'release' };

/** Start, pause, resume, end, release; and clone. */
export async function taskAction(ctx: ApiContext) {
  const { taskId } = ctx.params;
  if (ctx.op.id === 'cloneTask') {
    const r = await cloneTaskAction(taskId);
    if (!r.ok) throw refused(r);
    return taskOr404(r.taskId);
  }
  const action = ENGINE_ACTION[ctx.op.id];
  if (ctx.op.id === 'resumeTask') {
    const t = await stateOr404(taskId);
    if (t.status !== 'Paused' && t.status !== 'Failed') throw new ApiError('invalid_state', `Only a Paused or Failed task can be resumed; this one is ${t.status}.`);
  }
  const r = await performTaskAction(taskId, action);
  if (!r.ok) throw refused(r);
  return { task: await stateOr404(taskId) };
}

export async function changeInstanceClass(ctx: ApiContext<never, { instanceClass: string }>) {
  const r = await upgradeInstanceClassAction(ctx.params.taskId, ctx.body.instanceClass);
  if (!r.ok) throw refused(r);
  return { task: await stateOr404(ctx.params.taskId) };
}

export async function cutover(ctx: ApiContext<never, unknown>) {
  const r = await cutoverTaskAction(ctx.params.taskId, ctx.body);
  if (!r.ok) throw refused(r);
  return { report: r.report, task: await stateOr404(ctx.params.taskId) };
}

export async function startVerification(ctx: ApiContext) {
  const r = await verifyNowAction(ctx.params.taskId);
  if (!r.ok) throw refused(r);
  return { runId: r.runId ?? null };
}

export async function listVerifications(ctx: ApiContext) {
  const t = await stateOr404(ctx.params.taskId);
  return readVerificationOverview(t.id, statusOf(t.status));
}

export async function getVerification(ctx: ApiContext) {
  const run = await readVerificationRun(ctx.params.taskId, ctx.params.runId);
  if (!run) throw new ApiError('not_found', `Task ${ctx.params.taskId} has no verification run ${ctx.params.runId}.`);
  return run;
}

export async function stopVerification(ctx: ApiContext) {
  const r = await stopVerificationAction(ctx.params.taskId);
  if (!r.ok) throw refused(r);
  return { ok: true };
}

export async function listInstancesRoute(ctx: ApiContext<{ region?: string }>) {
  return { instances: ctx.query.region ? await listInstances(ctx.query.region) : await listAllInstances() };
}

export async function listWorkersRoute() {
  return { pool: await workerPool() };
}

export async function createInstance(ctx: ApiContext<never, InstanceInput>) {
  const r = await saveInstance(ctx.user, ctx.body);
  if (!r.ok) throw invalid(r.errors);
  const instance = await readInstance(r.id);
  if (!instance) throw new ApiError('not_found', 'The instance was deleted meanwhile.');
  return { instance };
}

export async function deleteInstanceRoute(ctx: ApiContext) {
  if (!(await deleteInstance(ctx.user, ctx.params.id))) throw new ApiError('not_found', `There is no instance ${ctx.params.id}.`);
  return { ok: true };
}

export async function openApi(ctx: ApiContext) {
  return buildOpenApi(new URL(ctx.req.url).origin);
}
