/**
 * Registering, changing and deleting instances, for the Instances page's server actions
 * (lib/instances/actions.ts) and the REST API alike. The caller has checked the user may
 * (the `operate` ability). Passwords are encrypted before they are stored.
 */
import { parseCredentials } from '@/engine/precheck';
import { audit } from '@/lib/audit';
import { db } from '@/lib/db/client';
import { encryptSecret } from '@/lib/secrets';
import type { FieldErrors } from '@/lib/tasks/draft';
import { rebindingMessage, sameCredentialBinding } from '@/lib/tasks/endpoint';
import type { InstanceInput } from './schema';

export type SaveInstanceResult = { ok: true; id: string; message: string } | { ok: false; errors: FieldErrors };

type Actor = { id: string; username: string };

export async function saveInstance(actor: Actor, v: InstanceInput): Promise<SaveInstanceResult> {
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
    await audit(actor, 'instance.update', { type: 'instance', id: v.id, name: v.instanceId }, credentials ? 'credentials changed' : '');
    return { ok: true, id: v.id, message: `Instance ${v.instanceId} updated.` };
  }
  const created = await db().instance.create({ data: { ...data, tlsCa, ...credentials } });
  await audit(actor, 'instance.create', { type: 'instance', id: created.id, name: v.instanceId }, `${v.host}:${v.port}, ${v.region}`);
  return { ok: true, id: created.id, message: `Instance ${v.instanceId} registered.` };
}

/** False when there is no such instance. */
export async function deleteInstance(actor: Actor, id: string): Promise<boolean> {
  const existing = id ? await db().instance.findUnique({ where: { id }, select: { instanceId: true } }) : null;
  if (!existing) return false;
  await db().instance.deleteMany({ where: { id } });
  await audit(actor, 'instance.delete', { type: 'instance', id, name: existing.instanceId });
  return true;
}
