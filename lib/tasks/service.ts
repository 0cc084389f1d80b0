/** Writing task records from the wizard: save settings (Not Started), purchase and start. */
import crypto from 'node:crypto';
import { clusterRelayRefusal } from '@/engine/relay/cluster-refusal';
import { db } from '@/lib/db/client';
import { endpointSchema, type Endpoint } from './endpoint';
import { endpointToInput, resolveEndpoint } from './endpoint-input';
import { taskDraftSchema, fieldErrors, type FieldErrors, type TaskDraft } from './draft';
import {
  advancedSchema, CONFLICT_MODES, DEFAULT_ADVANCED, DEFAULT_OBJECTS, DEFAULT_VERIFICATION, objectsSchema, parseStored, SYNC_TYPES,
  verificationSchema, type PurchaseSettings,
} from './options';
import { canPerform, isTaskStatus, type TaskStatus } from './status';

export class TaskStateError extends Error {}

/** `dts` + 12 lowercase letters/digits, like the reference product's task IDs. */
export function newTaskId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = crypto.randomBytes(12);
  return `dts${[...bytes].map((b) => alphabet[b % alphabet.length]).join('')}`;
}

function statusOf(raw: string): TaskStatus {
  return isTaskStatus(raw) ? raw : 'Failed';
}

export type SaveResult = { ok: true; taskId: string } | { ok: false; errors: FieldErrors };

/** Validates the whole draft, encrypts passwords and stores the task as Not Started (a fresh precheck is needed). */
export async function saveTaskSettings(input: unknown): Promise<SaveResult> {
  const parsed = taskDraftSchema.safeParse(input);
  if (!parsed.success) return { ok: false, errors: fieldErrors(parsed.error) };
  const draft = parsed.data;
  const noRelay = clusterRelayRefusal(draft.source.mode === 'cluster', draft.target.mode === 'cluster');
  if (draft.advanced.writeMethod === 'relay' && noRelay) return { ok: false, errors: { 'advanced.writeMethod': `${noRelay.reason} Choose Commands.` } };
  let existing: { source: Endpoint; target: Endpoint } | undefined;
  if (draft.taskId) {
    const task = await db().task.findUnique({ where: { id: draft.taskId } });
    if (!task) return { ok: false, errors: { _: 'This task no longer exists.' } };
    if (!canPerform('edit', statusOf(task.status))) {
      return { ok: false, errors: { _: `The settings of a task that is ${task.status} cannot be edited.` } };
    }
    existing = { source: endpointSchema.parse(JSON.parse(task.source)), target: endpointSchema.parse(JSON.parse(task.target)) };
  }
  const source = await resolveEndpoint(draft.source, existing?.source);
  if (!source.ok) return { ok: false, errors: { [`source.${source.field}`]: source.message } };
  const target = await resolveEndpoint(draft.target, existing?.target);
  if (!target.ok) return { ok: false, errors: { [`target.${target.field}`]: target.message } };
  const data = {
    name: draft.name, region: draft.region, status: 'NotStarted', syncTypes: draft.syncTypes, conflictMode: draft.conflictMode,
    source: JSON.stringify(source.value.stored), target: JSON.stringify(target.value.stored),
    objects: JSON.stringify(draft.objects), advanced: JSON.stringify(draft.advanced), verification: JSON.stringify(draft.verification),
    precheck: '{}',
  };
  if (draft.taskId) {
    await db().task.update({ where: { id: draft.taskId }, data });
    await db().taskLog.create({ data: { taskId: draft.taskId, level: 'info', message: 'task settings changed' } });
    return { ok: true, taskId: draft.taskId };
  }
  const id = newTaskId();
  await db().task.create({ data: { id, ...data, logs: { create: [{ level: 'info', message: 'task created' }] } } });
  return { ok: true, taskId: id };
}

export interface EditableTask {
  status: TaskStatus;
  draft: TaskDraft;
}

/** A saved task as wizard input; passwords stay on the server (the form keeps them unless changed). */
export async function loadTaskDraft(taskId: string): Promise<EditableTask | null> {
  const task = await db().task.findUnique({ where: { id: taskId } });
  if (!task) return null;
  const source = endpointSchema.parse(JSON.parse(task.source));
  const target = endpointSchema.parse(JSON.parse(task.target));
  return {
    status: statusOf(task.status),
    draft: {
      taskId: task.id, region: task.region, name: task.name,
      source: endpointToInput(source), target: endpointToInput(target),
      syncTypes: SYNC_TYPES.find((s) => s === task.syncTypes) ?? 'full+incremental',
      conflictMode: CONFLICT_MODES.find((c) => c === task.conflictMode) ?? 'block',
      objects: parseStored(objectsSchema, task.objects, DEFAULT_OBJECTS),
      advanced: parseStored(advancedSchema, task.advanced, DEFAULT_ADVANCED),
      verification: parseStored(verificationSchema, task.verification, DEFAULT_VERIFICATION),
    },
  };
}

/** Stores the purchase settings of a task whose precheck passed. The caller then starts it. */
export async function recordPurchase(taskId: string, purchase: PurchaseSettings): Promise<void> {
  const task = await db().task.findUnique({ where: { id: taskId }, select: { status: true } });
  if (!task) throw new TaskStateError('This task no longer exists.');
  if (task.status !== 'PrecheckPassed') {
    throw new TaskStateError('The precheck has not passed: run it again and fix or ignore every Failed item first.');
  }
  await db().task.update({
    where: { id: taskId },
    data: { instanceClass: purchase.instanceClass, resourceGroup: purchase.resourceGroup, billingMethod: purchase.billingMethod, purchasedAt: new Date() },
  });
  await db().taskLog.create({ data: { taskId, level: 'info', message: `purchased: ${purchase.instanceClass} link, ${purchase.billingMethod}, resource group ${purchase.resourceGroup}` } });
}
