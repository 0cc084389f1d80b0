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
import { db } from '@/lib/db/client';
import { cutoverInputSchema, CutoverError, cutOver, type CutoverReport } from '@/lib/engine/cutover';
import { engineManager, TaskActionError } from '@/lib/engine/manager';
import { accessCode, type RefusalCode } from '@/lib/http/refusal';
import { instanceClassInputSchema } from './options';
import { precheckToEnd } from './precheck';
import { canUpgrade, statusOf, upgradeTargets } from './queries';
import { newTaskId } from './service';
import { canPerform, STATUS_LABEL } from './status';

/** A refusal says why in words, and as a stable code for the REST API (lib/http/refusal.ts). */
export type TaskActionResult = { ok: true } | { ok: false; message: string; code: RefusalCode };
export type CloneResult = { ok: true; taskId: string; name: string } | { ok: false; message: string; code: RefusalCode };

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
  if (!auth.ok) return { ok: false, message: auth.message, code: accessCode(auth.status) };
  const id = taskIdSchema.safeParse(taskId);
  const act = engineActionSchema.safeParse(action);
  if (!id.success || !act.success) return { ok: false, message: 'Unknown task or action.', code: 'invalid_request' };
  // The manager checks too; checking here first names the state as the console shows it.
  const task = await db().task.findUnique({ where: { id: id.data }, select: { status: true, name: true } });
  if (!task) return { ok: false, message: 'This task no longer exists.', code: 'not_found' };
  const status = statusOf(task.status);
  if (!canPerform(act.data, status)) return { ok: false, message: `A task that is ${STATUS_LABEL[status]} cannot be ${VERB[act.data]}.`, code: 'invalid_state' };
  try {
    // A task that never ran its precheck runs it now, and starts only if it passes.
    if (act.data === 'start' && status === 'NotStarted' && (await precheckToEnd(id.data)) !== 'PrecheckPassed') {
      refresh();
      return { ok: false, message: 'The precheck did not pass, so the task was not started: open the task to see which items failed, fix them (or ignore those that allow it), then Start again.', code: 'precheck_failed' };
    }
    await engineManager().perform(id.data, act.data);
  } catch (err) {
    if (err instanceof TaskActionError) return { ok: false, message: err.message, code: 'invalid_state' };
    console.error(`task ${id.data}: ${act.data} failed:`, err);
    return { ok: false, message: `The task could not be ${VERB[act.data]}: ${err instanceof Error ? err.message : String(err)}`, code: 'engine_error' };
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
  if (!auth.ok) return { ok: false, message: auth.message, code: accessCode(auth.status) };
  const id = taskIdSchema.safeParse(taskId);
  if (!id.success) return { ok: false, message: 'Unknown task.', code: 'invalid_request' };
  const t = await db().task.findUnique({ where: { id: id.data } });
  if (!t) return { ok: false, message: 'This task no longer exists.', code: 'not_found' };
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

const upgradeSchema = instanceClassInputSchema.extend({ taskId: taskIdSchema });

/**
 * Upgrade Instance Class (Running, Paused, Failed): stores the higher class on the
 * task; a running or paused engine takes the new rate at once, a failed task when it
 * starts again.
 */
export async function upgradeInstanceClassAction(taskId: string, instanceClass: string): Promise<TaskActionResult> {
  const auth = await authorize('operate');
  if (!auth.ok) return { ok: false, message: auth.message, code: accessCode(auth.status) };
  const parsed = upgradeSchema.safeParse({ taskId, instanceClass });
  if (!parsed.success) return { ok: false, message: 'Choose one of the listed instance classes.', code: 'invalid_request' };
  const t = await db().task.findUnique({ where: { id: parsed.data.taskId }, select: { status: true, instanceClass: true, name: true } });
  if (!t) return { ok: false, message: 'This task no longer exists.', code: 'not_found' };
  const status = statusOf(t.status);
  if (!canUpgrade(status)) {
    return { ok: false, message: `The instance class of a task that is ${STATUS_LABEL[status]} cannot be upgraded; upgrade it while the task is Running, Paused or Failed.`, code: 'invalid_state' };
  }
  if (!upgradeTargets(t.instanceClass).includes(parsed.data.instanceClass)) {
    return { ok: false, message: `An upgrade needs a class above ${t.instanceClass}.`, code: 'invalid_request' };
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

export type CutoverResult = { ok: true; report: CutoverReport } | { ok: false; message: string; code: RefusalCode };

/**
 * Cut over a Running task (lib/engine/cutover.ts): refused while the delay is above the
 * threshold; optionally pauses writes on the source; waits for the destination to hold the
 * source's offset, verifies, records the result and ends the task.
 */
export async function cutoverTaskAction(taskId: string, input: unknown): Promise<CutoverResult> {
  const auth = await authorize('operate');
  if (!auth.ok) return { ok: false, message: auth.message, code: accessCode(auth.status) };
  const id = taskIdSchema.safeParse(taskId);
  const parsed = cutoverInputSchema.safeParse(input ?? {});
  if (!id.success) return { ok: false, message: 'Unknown task.', code: 'invalid_request' };
  if (!parsed.success) return { ok: false, message: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '), code: 'invalid_request' };
  const task = await db().task.findUnique({ where: { id: id.data }, select: { name: true } });
  if (!task) return { ok: false, message: 'This task no longer exists.', code: 'not_found' };
  try {
    const report = await cutOver(engineManager(), id.data, parsed.data);
    await audit(auth.user, 'task.cutover', { type: 'task', id: id.data, name: task.name }, report.statement);
    refresh();
    return { ok: true, report };
  } catch (err) {
    if (err instanceof CutoverError) return { ok: false, message: err.message, code: err.code };
    console.error(`task ${id.data}: cut over failed:`, err);
    return { ok: false, message: `The cut over failed: ${err instanceof Error ? err.message : String(err)}`, code: 'engine_error' };
  }
}
