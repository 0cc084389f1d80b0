'use server';
/** Register, edit and delete instances (lib/instances/service.ts). */
import { revalidatePath } from 'next/cache';
import { authorize, requireAction } from '@/lib/auth/guard';
import { fieldErrors, type FieldErrors } from '@/lib/tasks/draft';
import { instanceInputFromForm, instanceInputSchema } from './schema';
import { deleteInstance, saveInstance } from './service';

export type InstanceFormState = { ok: true; message: string } | { ok: false; errors: FieldErrors } | null;

export async function saveInstanceAction(_prev: InstanceFormState, form: FormData): Promise<InstanceFormState> {
  const auth = await authorize('operate');
  if (!auth.ok) return { ok: false, errors: { _: auth.message } };
  const parsed = instanceInputSchema.safeParse(instanceInputFromForm(form));
  if (!parsed.success) return { ok: false, errors: fieldErrors(parsed.error) };
  const result = await saveInstance(auth.user, parsed.data);
  if (!result.ok) return result;
  revalidatePath('/instances');
  return { ok: true, message: result.message };
}

export async function deleteInstanceAction(form: FormData): Promise<void> {
  const { user } = await requireAction('operate');
  await deleteInstance(user, String(form.get('id') ?? ''));
  revalidatePath('/instances');
}
