'use server';
/**
 * The Users page (admins only): add users, change roles, disable / enable,
 * reset passwords and delete. The last enabled admin cannot be demoted,
 * disabled or deleted, and nobody deletes or disables their own account here.
 */
import { revalidatePath } from 'next/cache';
import { z } from 'zod';
import { audit } from '@/lib/audit';
import { authorize, type Authorized } from '@/lib/auth/guard';
import { generatePassword, hashPassword, passwordProblem } from '@/lib/auth/password';
import { ROLE_LABEL, ROLES, type Role } from '@/lib/auth/roles';
import { revokeUserSessions } from '@/lib/auth/sessions';
import { db } from '@/lib/db/client';

export type UserActionResult = { ok: true; message: string; password?: string } | { ok: false; message: string };
export type CreateUserState =
  | { ok: true; message: string; password?: string }
  | { ok: false; errors: { username?: string; role?: string; password?: string; _?: string } }
  | null;

const USERNAME = /^[A-Za-z0-9][A-Za-z0-9._-]{1,31}$/;
const idSchema = z.string().min(1).max(64);

function refresh(): void {
  try {
    revalidatePath('/users');
  } catch {
    // outside a request
  }
}

async function otherEnabledAdmins(userId: string): Promise<number> {
  return db().user.count({ where: { role: 'admin', disabled: false, id: { not: userId } } });
}

async function target(auth: Authorized, userId: unknown) {
  const id = idSchema.safeParse(userId);
  if (!id.success) return null;
  return db().user.findUnique({ where: { id: id.data } });
}

export async function createUserAction(_prev: CreateUserState, form: FormData): Promise<CreateUserState> {
  const auth = await authorize('manage-users');
  if (!auth.ok) return { ok: false, errors: { _: auth.message } };
  const username = String(form.get('username') ?? '').trim();
  const role = String(form.get('role') ?? '');
  const typed = String(form.get('password') ?? '');
  const mustChange = typed === '' || form.get('mustChange') === 'on';
  if (!USERNAME.test(username)) return { ok: false, errors: { username: '2–32 letters, digits, dot, dash or underscore, starting with a letter or digit.' } };
  if (!(ROLES as readonly string[]).includes(role)) return { ok: false, errors: { role: 'Choose a role.' } };
  if (typed) {
    const problem = passwordProblem(typed, username);
    if (problem) return { ok: false, errors: { password: problem } };
  }
  if (await db().user.findUnique({ where: { username } })) return { ok: false, errors: { username: `The user ${username} already exists.` } };
  const password = typed || generatePassword();
  const user = await db().user.create({ data: { username, role, passwordHash: await hashPassword(password), mustChangePassword: mustChange } });
  await audit(auth.user, 'user.create', { type: 'user', id: user.id, name: username }, `role ${role}`);
  refresh();
  return typed
    ? { ok: true, message: `User ${username} (${ROLE_LABEL[role as Role]}) created.` }
    : { ok: true, message: `User ${username} (${ROLE_LABEL[role as Role]}) created with a generated password, shown only now:`, password };
}

export async function setUserRoleAction(userId: string, role: string): Promise<UserActionResult> {
  const auth = await authorize('manage-users');
  if (!auth.ok) return { ok: false, message: auth.message };
  const user = await target(auth, userId);
  if (!user) return { ok: false, message: 'This user no longer exists.' };
  if (!(ROLES as readonly string[]).includes(role)) return { ok: false, message: 'Choose a role.' };
  if (user.role === role) return { ok: true, message: `${user.username} is already ${ROLE_LABEL[role as Role]}.` };
  if (user.role === 'admin' && !user.disabled && (await otherEnabledAdmins(user.id)) === 0) {
    return { ok: false, message: `${user.username} is the only enabled admin; make another user admin first.` };
  }
  await db().user.update({ where: { id: user.id }, data: { role } });
  await audit(auth.user, 'user.role', { type: 'user', id: user.id, name: user.username }, `${user.role} → ${role}`);
  refresh();
  return { ok: true, message: `${user.username} is now ${ROLE_LABEL[role as Role]}.` };
}

export async function setUserDisabledAction(userId: string, disabled: boolean): Promise<UserActionResult> {
  const auth = await authorize('manage-users');
  if (!auth.ok) return { ok: false, message: auth.message };
  const user = await target(auth, userId);
  if (!user) return { ok: false, message: 'This user no longer exists.' };
  const off = disabled === true;
  if (off && user.id === auth.user.id) return { ok: false, message: 'You cannot disable your own account.' };
  if (off && user.role === 'admin' && (await otherEnabledAdmins(user.id)) === 0) {
    return { ok: false, message: `${user.username} is the only enabled admin and cannot be disabled.` };
  }
  await db().user.update({ where: { id: user.id }, data: { disabled: off } });
  if (off) await revokeUserSessions(db(), user.id);
  await audit(auth.user, off ? 'user.disable' : 'user.enable', { type: 'user', id: user.id, name: user.username });
  refresh();
  return { ok: true, message: off ? `${user.username} is disabled and signed out.` : `${user.username} is enabled.` };
}

export async function resetUserPasswordAction(userId: string): Promise<UserActionResult> {
  const auth = await authorize('manage-users');
  if (!auth.ok) return { ok: false, message: auth.message };
  const user = await target(auth, userId);
  if (!user) return { ok: false, message: 'This user no longer exists.' };
  const password = generatePassword();
  await db().user.update({ where: { id: user.id }, data: { passwordHash: await hashPassword(password), mustChangePassword: true } });
  await revokeUserSessions(db(), user.id, user.id === auth.user.id ? auth.session.id : undefined);
  await audit(auth.user, 'user.reset-password', { type: 'user', id: user.id, name: user.username });
  refresh();
  return { ok: true, message: `New password for ${user.username}, shown only now (they choose their own at the next sign-in):`, password };
}

export async function deleteUserAction(userId: string): Promise<UserActionResult> {
  const auth = await authorize('manage-users');
  if (!auth.ok) return { ok: false, message: auth.message };
  const user = await target(auth, userId);
  if (!user) return { ok: false, message: 'This user no longer exists.' };
  if (user.id === auth.user.id) return { ok: false, message: 'You cannot delete your own account.' };
  if (user.role === 'admin' && !user.disabled && (await otherEnabledAdmins(user.id)) === 0) {
    return { ok: false, message: `${user.username} is the only enabled admin and cannot be deleted.` };
  }
  await db().user.delete({ where: { id: user.id } });
  await audit(auth.user, 'user.delete', { type: 'user', id: user.id, name: user.username }, `was ${user.role}`);
  refresh();
  return { ok: true, message: `User ${user.username} deleted; their entries in the audit trail stay.` };
}
