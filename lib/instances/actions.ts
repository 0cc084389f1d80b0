'use server';
/** Register, edit and delete instances. Passwords are encrypted before they are stored. */
import { revalidatePath } from 'next/cache';
import { parseCredentials } from '@/engine/precheck';
import { audit } from '@/lib/audit';
import { authorize, requireAction } from '@/lib/auth/guard';
import { db } from '@/lib/db/client';
import { encryptSecret } from '@/lib/secrets';
import { fieldErrors, type FieldErrors } from '@/lib/tasks/draft';
import { rebindingMessage, sameCredentialBinding } from '@/lib/tasks/endpoint';
import { instanceInputFromForm, instanceInputSchema } from './schema';

export type InstanceFormState = { ok: true; message: string } | { ok: false; errors: FieldErrors } | null;

export async function saveInstanceAction(_prev: InstanceFormState, form: FormData): Promise<InstanceFormState> {
  const auth = await authorize('operate');
  if (!auth.ok) return { ok: false, errors: { _: auth.message } };
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
  const existing = v.id ? await db().instance.findUnique({ where: { id: v.id } }) : null;
  if (v.id && !existing) return { ok: false, errors: { _: 'This instance no longer exists.' } };
  // A kept password goes only where it was entered for: a new address or encryption needs it again (lib/tasks/endpoint.ts).
  const registeredAs = (e: { host: string; port: number; tls: boolean }) => ({ accessMethod: 'cloud' as const, host: e.host, port: e.port, tls: e.tls, tlsInsecure: false });
  if (existing && !credentials && (existing.passwordEnc || existing.username) && !sameCredentialBinding(registeredAs(existing), registeredAs(v))) {
    return { ok: false, errors: { password: `${rebindingMessage('password')} (Or tick Remove the stored password.)` } };
  }
  // A CA means nothing without SSL; blank on edit keeps the stored one.
  const tlsCa = !v.tls || v.clearCa ? null : v.tlsCa || existing?.tlsCa || null;
  if (v.id) {
    await db().instance.update({ where: { id: v.id }, data: { ...data, tlsCa, ...credentials } });
    await audit(auth.user, 'instance.update', { type: 'instance', id: v.id, name: v.instanceId }, credentials ? 'credentials changed' : '');
  } else {
    const created = await db().instance.create({ data: { ...data, tlsCa, ...credentials } });
    await audit(auth.user, 'instance.create', { type: 'instance', id: created.id, name: v.instanceId }, `${v.host}:${v.port}, ${v.region}`);
  }
  revalidatePath('/instances');
  return { ok: true, message: v.id ? `Instance ${v.instanceId} updated.` : `Instance ${v.instanceId} registered.` };
}

export async function deleteInstanceAction(form: FormData): Promise<void> {
  const { user } = await requireAction('operate');
  const id = String(form.get('id') ?? '');
  const existing = id ? await db().instance.findUnique({ where: { id }, select: { instanceId: true } }) : null;
  if (existing) {
    await db().instance.deleteMany({ where: { id } });
    await audit(user, 'instance.delete', { type: 'instance', id, name: existing.instanceId });
  }
  revalidatePath('/instances');
}
