'use server';
/**
 * Server actions of the Create Task wizard. Every step is validated here with
 * zod before the browser moves on; step 1 really connects to both sides.
 */
import { redirect } from 'next/navigation';
import { revalidatePath } from 'next/cache';
import { audit } from '@/lib/audit';
import { authorize } from '@/lib/auth/guard';
import { testConnection, type ConnectionOutcome, type ServerSummary } from '@/lib/redis';
import { db } from '@/lib/db/client';
import { accessCode, type RefusalCode } from '@/lib/http/refusal';
import { engineManager, TaskActionError } from '@/lib/engine/manager';
import { connectionStepSchema, fieldErrors, objectsStepSchema, type FieldErrors } from './draft';
import { endpointSchema } from './endpoint';
import { resolveEndpoint, type ResolvedEndpoint } from './endpoint-input';
import { advancedSchema, purchaseSchema, verificationSchema } from './options';
import { ignorePrecheckItem, PrecheckError, startPrecheck } from './precheck';
import { recordPurchase, saveTaskSettings, TaskStateError, type SaveResult } from './service';
import { taskDetailsPath } from './routes';

export type ConnectionStepResult =
  | { ok: true; source: ServerSummary; target: ServerSummary }
  | { ok: false; errors: FieldErrors; source?: ConnectionOutcome; target?: ConnectionOutcome };

/** One side of a Test Connection in the audit trail: where it went and with which credentials. */
function connectionWords(side: string, r: ResolvedEndpoint, outcome: ConnectionOutcome): string {
  const creds = r.credentials === 'none' ? 'no password' : `password ${r.credentials}`;
  const key = r.storedClientKey ? ', stored client key' : '';
  return `${side} ${r.stored.host}:${r.stored.port} (${creds}${key}${r.stored.tls ? ', SSL' : ''}): ${outcome.ok ? 'connected' : 'failed'}`;
}

/** Step 1's Test Connection: both sides really connected; audited (it may use stored credentials). */
export async function testConnectionsAction(input: unknown): Promise<ConnectionStepResult> {
  const auth = await authorize('operate');
  if (!auth.ok) return { ok: false, errors: { _: auth.message } };
  const parsed = connectionStepSchema.safeParse(input);
  if (!parsed.success) return { ok: false, errors: fieldErrors(parsed.error) };
  const step = parsed.data;
  let existing: { source?: string; target?: string; name?: string } = {};
  if (step.taskId) {
    const task = await db().task.findUnique({ where: { id: step.taskId }, select: { source: true, target: true, name: true } });
    existing = task ?? {};
  }
  const [source, target] = await Promise.all([
    resolveEndpoint(step.source, existing.source ? endpointSchema.parse(JSON.parse(existing.source)) : undefined),
    resolveEndpoint(step.target, existing.target ? endpointSchema.parse(JSON.parse(existing.target)) : undefined),
  ]);
  const errors: FieldErrors = {};
  if (!source.ok) errors[`source.${source.field}`] = source.message;
  if (!target.ok) errors[`target.${target.field}`] = target.message;
  if (!source.ok || !target.ok) return { ok: false, errors };
  const [s, t] = await Promise.all([testConnection(source.value.connection), testConnection(target.value.connection)]);
  await audit(auth.user, 'task.test-connection', { type: 'task', id: step.taskId ?? null, name: existing.name ?? step.name },
    `${connectionWords('source', source.value, s)}; ${connectionWords('destination', target.value, t)}`);
  if (s.ok && t.ok) return { ok: true, source: s, target: t };
  return { ok: false, errors: {}, source: s, target: t };
}

export type StepResult = { ok: true } | { ok: false; errors: FieldErrors };

export async function validateObjectsAction(input: unknown): Promise<StepResult> {
  const auth = await authorize('operate');
  if (!auth.ok) return { ok: false, errors: { _: auth.message } };
  const parsed = objectsStepSchema.safeParse(input);
  return parsed.success ? { ok: true } : { ok: false, errors: fieldErrors(parsed.error) };
}

export async function validateAdvancedAction(input: unknown): Promise<StepResult> {
  const auth = await authorize('operate');
  if (!auth.ok) return { ok: false, errors: { _: auth.message } };
  const parsed = advancedSchema.safeParse(input);
  return parsed.success ? { ok: true } : { ok: false, errors: fieldErrors(parsed.error) };
}

/** Step 4's button: validates verification and everything before it, then saves the task (Not Started). */
export async function saveTaskAction(draft: unknown): Promise<SaveResult> {
  const auth = await authorize('operate');
  if (!auth.ok) return { ok: false, errors: { _: auth.message } };
  const verification = verificationSchema.safeParse((draft as { verification?: unknown } | null)?.verification);
  if (!verification.success) {
    const errors = fieldErrors(verification.error);
    return { ok: false, errors: Object.fromEntries(Object.entries(errors).map(([k, v]) => [`verification.${k}`, v])) };
  }
  const result = await saveTaskSettings(draft);
  if (result.ok) {
    const d = draft as { taskId?: unknown; name?: unknown };
    const edited = typeof d.taskId === 'string' && d.taskId !== '';
    await audit(auth.user, edited ? 'task.update' : 'task.create', { type: 'task', id: result.taskId, name: typeof d.name === 'string' ? d.name : null });
    revalidatePath('/sync-tasks');
  }
  return result;
}

export type ActionResult = { ok: true } | { ok: false; message: string; code: RefusalCode };

export async function startPrecheckAction(taskId: string): Promise<ActionResult> {
  const auth = await authorize('operate');
  if (!auth.ok) return { ok: false, message: auth.message, code: accessCode(auth.status) };
  try {
    await startPrecheck(String(taskId));
    await audit(auth.user, 'task.precheck', { type: 'task', id: String(taskId) });
    return { ok: true };
  } catch (err) {
    if (err instanceof PrecheckError) return { ok: false, message: err.message, code: err.code };
    throw err;
  }
}

export async function ignorePrecheckItemAction(taskId: string, itemId: string): Promise<ActionResult> {
  const auth = await authorize('operate');
  if (!auth.ok) return { ok: false, message: auth.message, code: accessCode(auth.status) };
  try {
    await ignorePrecheckItem(String(taskId), String(itemId));
    await audit(auth.user, 'task.precheck-ignore', { type: 'task', id: String(taskId) }, `item ${String(itemId)}`);
    return { ok: true };
  } catch (err) {
    if (err instanceof PrecheckError) return { ok: false, message: err.message, code: err.code };
    throw err;
  }
}

export type PurchaseState = { errors: FieldErrors } | null;

/** Step 6: store the purchase settings, hand the task to the engine, go to the task. */
export async function purchaseAction(_prev: PurchaseState, form: FormData): Promise<PurchaseState> {
  const auth = await authorize('operate');
  if (!auth.ok) return { errors: { _: auth.message } };
  const taskId = String(form.get('taskId') ?? '');
  const parsed = purchaseSchema.safeParse({
    billingMethod: form.get('billingMethod'),
    resourceGroup: form.get('resourceGroup'),
    instanceClass: form.get('instanceClass'),
    terms: form.get('terms') === 'on',
  });
  if (!parsed.success) return { errors: fieldErrors(parsed.error) };
  let region = 'local';
  try {
    await recordPurchase(taskId, parsed.data);
    const task = await db().task.findUnique({ where: { id: taskId }, select: { region: true, name: true } });
    region = task?.region ?? region;
    // The same path as Start in the task list: the manager checks the state allows it.
    await engineManager().perform(taskId, 'start');
    await audit(auth.user, 'task.start', { type: 'task', id: taskId, name: task?.name }, `Purchase And Start: ${parsed.data.instanceClass} link, ${parsed.data.billingMethod}`);
  } catch (err) {
    if (err instanceof TaskStateError || err instanceof TaskActionError) return { errors: { _: err.message } };
    return { errors: { _: `The task could not be started: ${(err as Error).message}` } };
  }
  revalidatePath('/sync-tasks');
  redirect(taskDetailsPath(taskId, region));
}
