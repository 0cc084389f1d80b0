'use server';
/** The signed-in user's own account: change the password. */
import { revalidatePath } from 'next/cache';
import { audit } from '@/lib/audit';
import { db } from '@/lib/db/client';
import { authorize } from './guard';
import { hashPassword, passwordProblem, verifyPassword } from './password';
import { revokeUserSessions } from './sessions';
import { signInThrottle, SignInThrottle, waitWords } from './throttle';

export type PasswordFormState =
  | { ok: true; message: string }
  | { ok: false; errors: { current?: string; next?: string; confirm?: string; _?: string } }
  | null;

/**
 * Checks the current password (throttled per account like sign-in, so a borrowed session cannot guess it;
 * wrong ones audited), stores the new one, and ends the user's other sessions.
 */
export async function changePasswordAction(_prev: PasswordFormState, form: FormData): Promise<PasswordFormState> {
  const auth = await authorize('view');
  if (!auth.ok) return { ok: false, errors: { _: auth.message } };
  const current = String(form.get('current') ?? '');
  const next = String(form.get('next') ?? '');
  const confirm = String(form.get('confirm') ?? '');
  const user = await db().user.findUnique({ where: { id: auth.user.id } });
  if (!user) return { ok: false, errors: { _: 'This account no longer exists.' } };
  const throttle = signInThrottle();
  const keys = SignInThrottle.passwordChangeKeys(user.id);
  const wait = throttle.retryAfter(keys);
  if (wait > 0) return { ok: false, errors: { current: `Too many wrong passwords. Try again in ${waitWords(wait)}.` } };
  if (!throttle.begin(keys)) return { ok: false, errors: { current: 'Another password change is being checked. Try again in a moment.' } };
  try {
    if (!(await verifyPassword(user.passwordHash, current))) {
      const locks = throttle.fail(keys);
      await audit(auth.user, 'user.change-password-failed', { type: 'user', id: user.id, name: user.username },
        locks.length ? `Change Password locked for ${waitWords(locks[0].lockMs)}` : '');
      await new Promise((resolve) => setTimeout(resolve, throttle.options.failureDelayMs));
      return { ok: false, errors: { current: 'The current password is not correct.' } };
    }
    throttle.succeed(keys);
  } finally {
    throttle.end(keys);
  }
  const problem = passwordProblem(next, user.username);
  if (problem) return { ok: false, errors: { next: problem } };
  if (next === current) return { ok: false, errors: { next: 'Choose a password different from the current one.' } };
  if (next !== confirm) return { ok: false, errors: { confirm: 'The two new passwords differ.' } };
  await db().user.update({ where: { id: user.id }, data: { passwordHash: await hashPassword(next), mustChangePassword: false } });
  const ended = await revokeUserSessions(db(), user.id, auth.session.id);
  await audit(auth.user, 'user.change-password', { type: 'user', id: user.id, name: user.username }, ended ? `${ended} other session(s) ended` : '');
  // Pages the browser prefetched while a new password was required were redirects to Account: drop them.
  revalidatePath('/', 'layout');
  return { ok: true, message: `Password changed${ended ? `; ${ended} other session${ended === 1 ? '' : 's'} signed out` : ''}.` };
}
