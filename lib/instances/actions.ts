'use server';
/** Register, edit and delete instances. Passwords are encrypted before they are stored. */
import { revalidatePath } from 'next/cache';
import { parseCredentials } from '@/engine/precheck';
import { db } from '@/lib/db/client';
import { encryptSecret } from '@/lib/secrets';
import { fieldErrors, type FieldErrors } from '@/lib/tasks/draft';
import { instanceInputFromForm, instanceInputSchema } from './schema';

export type InstanceFormState = { ok: true; message: string } | { ok: false; errors: FieldErrors } | null;

export async function saveInstanceAction(_prev: InstanceFormState, form: FormData): Promise<InstanceFormState> {
  const parsed = instanceInputSchema.safeParse(instanceInputFromForm(form));
  if (!parsed.success) return { ok: false, errors: fieldErrors(parsed.error) };
  const v = parsed.data;
  const clash = await db().instance.findUnique({ where: { instanceId: v.instanceId } });
  if (clash && clash.id !== v.id) return { ok: false, errors: { instanceId: `Instance ID ${v.instanceId} is already registered (${clash.region}).` } };
  const data = { instanceId: v.instanceId, name: v.name, region: v.region, databaseType: v.databaseType, host: v.host, port: v.port, mode: v.mode, tls: v.tls };
  let credentials: { username: string | null; passwordEnc: string | null } | undefined;
  if (v.password) {
    const { username, password } = parseCredentials(v.password);
    credentials = { username: username ?? null, passwordEnc: password ? encryptSecret(password) : null };
  } else if (v.clearPassword || !v.id) {
    credentials = { username: null, passwordEnc: null };
  }
  if (v.id) {
    const existing = await db().instance.findUnique({ where: { id: v.id } });
    if (!existing) return { ok: false, errors: { _: 'This instance no longer exists.' } };
    await db().instance.update({ where: { id: v.id }, data: { ...data, ...credentials } });
  } else {
    await db().instance.create({ data: { ...data, ...credentials } });
  }
  revalidatePath('/instances');
  return { ok: true, message: v.id ? `Instance ${v.instanceId} updated.` : `Instance ${v.instanceId} registered.` };
}

export async function deleteInstanceAction(form: FormData): Promise<void> {
  const id = String(form.get('id') ?? '');
  if (id) await db().instance.deleteMany({ where: { id } });
  revalidatePath('/instances');
}
