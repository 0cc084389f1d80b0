'use server';
/**
 * Server actions of the task list and the task details page: Start, Pause, End,
 * Release (through the engine manager, which checks the state allows them),
 * Clone (duplicate configuration) and Upgrade Instance Class. Each answers in
 * words the user can act on instead of throwing.
 */
import { revalidatePath } from 'next/cache';
import { z } from 'zod';
import { audit } from '@/lib/audit';
import { authorize } from '@/lib/auth/guard';
import { LINK_SPEC_IDS } from '@/lib/catalog/link-specs';
import { db } from '@/lib/db/client';
import { engineManager, TaskActionError } from '@/lib/engine/manager';
import { precheckToEnd } from './precheck';
import { canUpgrade, statusOf, upgradeTargets } from './queries';
import { newTaskId } from './service';
import { canPerform, STATUS_LABEL } from './status';

export type TaskActionResult = { ok: true } | { ok: false; message: string };
export type CloneResult = { ok: true; taskId: string; name: string } | { ok: false; message: string };

const engineActionSchema = z.enum(['start', 'pause', 'end', 'release']);
export type EngineAction = z.infer<typeof engineActionSchema>;
const taskIdSchema = z.string().trim().min(1).max(64);

const VERB: Record<EngineAction, string> = { start: 'started', pause: 'paused', end: 'ended', release: 'released' };

function refresh(): void {
  try {
    revalidatePath('/sync-tasks');
  } catch {
    // outside a request (tests): nothing to revalidate
  }
}

/** Start, Pause, End or Release a task. End waits until the engine has written what it read and stopped. */
export async function performTaskAction(taskId: string, action: EngineAction): Promise<TaskActionResult> {
  const auth = await authorize('operate');
  if (!auth.ok) return { ok: false, message: auth.message };
  const id = taskIdSchema.safeParse(taskId);
  const act = engineActionSchema.safeParse(action);
  if (!id.success || !act.success) return { ok: false, message: 'Unknown task or action.' };
  // The manager checks too; checking here first names the state as the console shows it.
  const task = await db().task.findUnique({ where: { id: id.data }, select: { status: true, name: true } });
  if (!task) return { ok: false, message: 'This task no longer exists.' };
  const status = statusOf(task.status);
  if (!canPerform(act.data, status)) return { ok: false, message: `A task that is ${STATUS_LABEL[status]} cannot be ${VERB[act.data]}.` };
  try {
    // A task that never ran its precheck runs it now, and starts only if it passes.
    if (act.data === 'start' && status === 'NotStarted' && (await precheckToEnd(id.data)) !== 'PrecheckPassed') {
      refresh();
      return { ok: false, message: 'The precheck did not pass, so the task was not started: open the task to see which items failed, fix them (or ignore those that allow it), then Start again.' };
    }
    await engineManager().perform(id.data, act.data);
  } catch (err) {
    if (err instanceof TaskActionError) return { ok: false, message: err.message };
    console.error(`task ${id.data}: ${act.data} failed:`, err);
    return { ok: false, message: `The task could not be ${VERB[act.data]}: ${err instanceof Error ? err.message : String(err)}` };
  }
  await audit(auth.user, `task.${act.data}`, { type: 'task', id: id.data, name: task.name }, `was ${STATUS_LABEL[status]}`);
  refresh();
  return { ok: true };
}

/**
 * Clone (duplicate configuration): a new task, Not Started, with the same endpoints
 * (stored credentials included), objects, advanced and verification settings and
 * purchase settings, named "<name> (copy)". It needs its own precheck before it starts.
 */
export async function cloneTaskAction(taskId: string): Promise<CloneResult> {
  const auth = await authorize('operate');
  if (!auth.ok) return { ok: false, message: auth.message };
  const id = taskIdSchema.safeParse(taskId);
  if (!id.success) return { ok: false, message: 'Unknown task.' };
  const t = await db().task.findUnique({ where: { id: id.data } });
  if (!t) return { ok: false, message: 'This task no longer exists.' };
  const newId = newTaskId();
  const name = `${t.name} (copy)`;
  await db().task.create({
    data: {
      id: newId, name, region: t.region, status: 'NotStarted', syncTypes: t.syncTypes, conflictMode: t.conflictMode,
      instanceClass: t.instanceClass, resourceGroup: t.resourceGroup, billingMethod: t.billingMethod,
      source: t.source, target: t.target, objects: t.objects, advanced: t.advanced, verification: t.verification,
      precheck: '{}',
      logs: { create: [{ level: 'info', message: `task created as a copy of ${t.id} (${t.name})` }] },
    },
  });
  await audit(auth.user, 'task.clone', { type: 'task', id: newId, name }, `copy of ${t.id} (${t.name})`);
  refresh();
  return { ok: true, taskId: newId, name };
}

const upgradeSchema = z.object({ taskId: taskIdSchema, instanceClass: z.enum(LINK_SPEC_IDS) });

/**
 * Upgrade Instance Class (Running, Paused, Failed): stores the higher class on the
 * task; a running or paused engine takes the new rate at once, a failed task when it
 * starts again.
 */
export async function upgradeInstanceClassAction(taskId: string, instanceClass: string): Promise<TaskActionResult> {
  const auth = await authorize('operate');
  if (!auth.ok) return { ok: false, message: auth.message };
  const parsed = upgradeSchema.safeParse({ taskId, instanceClass });
  if (!parsed.success) return { ok: false, message: 'Choose one of the listed instance classes.' };
  const t = await db().task.findUnique({ where: { id: parsed.data.taskId }, select: { status: true, instanceClass: true, name: true } });
  if (!t) return { ok: false, message: 'This task no longer exists.' };
  const status = statusOf(t.status);
  if (!canUpgrade(status)) {
    return { ok: false, message: `The instance class of a task that is ${STATUS_LABEL[status]} cannot be upgraded; upgrade it while the task is Running, Paused or Failed.` };
  }
  if (!upgradeTargets(t.instanceClass).includes(parsed.data.instanceClass)) {
    return { ok: false, message: `An upgrade needs a class above ${t.instanceClass}.` };
  }
  await db().task.update({ where: { id: parsed.data.taskId }, data: { instanceClass: parsed.data.instanceClass } });
  const applied = await engineManager().applyLimits(parsed.data.taskId);
  await db().taskLog.create({
    data: {
      taskId: parsed.data.taskId, level: 'info',
      message: `instance class upgraded from ${t.instanceClass} to ${parsed.data.instanceClass}; ${applied ? 'the engine applies it now' : 'the engine applies it when the task starts again'}`,
    },
  });
  await audit(auth.user, 'task.upgrade', { type: 'task', id: parsed.data.taskId, name: t.name }, `instance class ${t.instanceClass} → ${parsed.data.instanceClass}`);
  refresh();
  return { ok: true };
}
