'use server';
/**
 * Server actions of the task details page's Data Verification: Verify Now (a Full
 * Data Verification with the task's settings, in its own engine process) and Stop.
 * Each answers in words instead of throwing.
 */
import { z } from 'zod';
import { audit } from '@/lib/audit';
import { authorize } from '@/lib/auth/guard';
import { db } from '@/lib/db/client';
import { engineManager } from '@/lib/engine/manager';
import { VerificationError } from '@/lib/engine/verification';
import { accessCode, type RefusalCode } from '@/lib/http/refusal';
import { statusOf } from './queries';
import { verifyNowRefusal } from './verification-view';

export type VerifyActionResult = { ok: true; runId?: string } | { ok: false; message: string; code: RefusalCode };

const taskIdSchema = z.string().trim().min(1).max(64);

export async function verifyNowAction(taskId: string): Promise<VerifyActionResult> {
  const auth = await authorize('operate');
  if (!auth.ok) return { ok: false, message: auth.message, code: accessCode(auth.status) };
  const id = taskIdSchema.safeParse(taskId);
  if (!id.success) return { ok: false, message: 'Unknown task.', code: 'invalid_request' };
  const task = await db().task.findUnique({ where: { id: id.data }, select: { status: true } });
  if (!task) return { ok: false, message: 'This task no longer exists.', code: 'not_found' };
  const manager = engineManager();
  const refusal = verifyNowRefusal(statusOf(task.status), manager.verification.isRunning(id.data));
  if (refusal) return { ok: false, message: refusal, code: 'invalid_state' };
  try {
    const runId = await manager.verifyNow(id.data);
    await audit(auth.user, 'task.verify', { type: 'task', id: id.data }, `Verify Now (run ${runId})`);
    return { ok: true, runId };
  } catch (err) {
    if (err instanceof VerificationError) return { ok: false, message: err.message, code: 'invalid_state' };
    console.error(`task ${id.data}: Verify Now failed:`, err);
    return { ok: false, message: `The verification could not start: ${err instanceof Error ? err.message : String(err)}`, code: 'engine_error' };
  }
}

export async function stopVerificationAction(taskId: string): Promise<VerifyActionResult> {
  const auth = await authorize('operate');
  if (!auth.ok) return { ok: false, message: auth.message, code: accessCode(auth.status) };
  const id = taskIdSchema.safeParse(taskId);
  if (!id.success) return { ok: false, message: 'Unknown task.', code: 'invalid_request' };
  const manager = engineManager();
  if (!manager.verification.isRunning(id.data)) return { ok: false, message: 'No Full Data Verification of this task is running.', code: 'invalid_state' };
  await manager.verification.stop(id.data);
  await audit(auth.user, 'task.verify-stop', { type: 'task', id: id.data });
  return { ok: true };
}
