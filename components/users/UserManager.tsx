'use client';
/** The Users page: the accounts, with Add User, role, Disable / Enable, Reset Password and Delete. */
import { useRouter } from 'next/navigation';
import { startTransition as startFormTransition, useActionState, useState, useTransition } from 'react';
import { Button, FieldShell, FormError, inputClass } from '@/components/form/fields';
import { ROLE_LABEL, ROLE_SUMMARY, ROLES } from '@/lib/auth/roles';
import {
  createUserAction, deleteUserAction, resetUserPasswordAction, setUserDisabledAction, setUserRoleAction,
  type CreateUserState, type UserActionResult,
} from '@/lib/users/actions';
import type { UserListItem } from '@/lib/users/queries';

function when(iso: string | null): string {
  return iso ? new Date(iso).toLocaleString() : 'never';
}

function Secret({ message, password }: { message: string; password?: string }) {
  return (
    <div role="status" className="space-y-1 rounded-md border border-emerald-200 bg-emerald-50 px-3 py-2 text-sm text-emerald-800">
      <p>{message}</p>
      {password && <p><code data-testid="one-time-password" className="rounded bg-white px-2 py-0.5 font-mono text-sm text-slate-900 ring-1 ring-emerald-200">{password}</code></p>}
    </div>
  );
}

export function UserManager({ users, currentUserId }: { users: UserListItem[]; currentUserId: string }) {
  const router = useRouter();
  const [adding, setAdding] = useState(false);
  const [result, setResult] = useState<UserActionResult | null>(null);
  const [pending, startTransition] = useTransition();

  function run(call: () => Promise<UserActionResult>, confirmText?: string) {
    if (confirmText && !window.confirm(confirmText)) return;
    startTransition(async () => {
      try {
        setResult(await call());
      } catch (err) {
        setResult({ ok: false, message: `The request did not reach the console: ${err instanceof Error ? err.message : String(err)}` });
      }
      router.refresh();
    });
  }

  return (
    <div className="space-y-5">
      <div className="flex flex-wrap items-end justify-between gap-4">
        <div>
          <h1 className="text-xl font-semibold tracking-tight">Users</h1>
          <p className="mt-1 text-sm text-slate-500">
            Who may use the console. Admin: {ROLE_SUMMARY.admin}. Operator: {ROLE_SUMMARY.operator}. Viewer: {ROLE_SUMMARY.viewer}.
          </p>
        </div>
        <Button onClick={() => { setResult(null); setAdding(true); }}>Add User</Button>
      </div>
      {result && (result.ok ? <Secret message={result.message} password={result.password} /> : <FormError message={result.message} />)}
      {adding && <AddUserForm onCancel={() => setAdding(false)} onDone={() => router.refresh()} />}
      <section aria-label="Users" className="overflow-hidden rounded-lg border border-slate-200 bg-white shadow-sm">
        <table className="w-full text-left text-sm">
          <thead className="border-b border-slate-200 bg-slate-50 text-xs uppercase tracking-wide text-slate-500">
            <tr>
              <th className="px-4 py-3 font-medium">Username</th>
              <th className="px-4 py-3 font-medium">Role</th>
              <th className="px-4 py-3 font-medium">Status</th>
              <th className="px-4 py-3 font-medium">Last Sign-in</th>
              <th className="px-4 py-3 font-medium">Created</th>
              <th className="px-4 py-3 font-medium"><span className="sr-only">Actions</span></th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100">
            {users.map((u) => (
              <tr key={u.id} aria-label={u.username}>
                <td className="px-4 py-3 font-medium">{u.username}{u.id === currentUserId && <span className="ml-1.5 text-xs text-slate-500">(you)</span>}</td>
                <td className="px-4 py-3">
                  <select aria-label={`Role of ${u.username}`} value={u.role} disabled={pending}
                    onChange={(e) => run(() => setUserRoleAction(u.id, e.target.value))}
                    className="rounded-md border border-slate-300 bg-white px-2 py-1 text-sm shadow-sm">
                    {ROLES.map((r) => <option key={r} value={r}>{ROLE_LABEL[r]}</option>)}
                  </select>
                </td>
                <td className="px-4 py-3">
                  {u.disabled ? <span className="text-red-700">Disabled</span> : <span className="text-emerald-700">Enabled</span>}
                  {u.mustChangePassword && <span className="ml-1.5 text-xs text-slate-500">must change password</span>}
                </td>
                <td className="px-4 py-3 text-slate-600">{when(u.lastSignInAt)}</td>
                <td className="px-4 py-3 text-slate-600">{when(u.createdAt)}</td>
                <td className="px-4 py-3">
                  <div className="flex flex-wrap justify-end gap-1">
                    <Button variant="ghost" className="px-2 py-1" disabled={pending}
                      onClick={() => run(() => setUserDisabledAction(u.id, !u.disabled))}>{u.disabled ? 'Enable' : 'Disable'}</Button>
                    <Button variant="ghost" className="px-2 py-1" disabled={pending}
                      onClick={() => run(() => resetUserPasswordAction(u.id), `Reset the password of ${u.username}? Their sessions end and a new password is shown once.`)}>Reset Password</Button>
                    <Button variant="ghost" className="px-2 py-1 text-red-600 hover:bg-red-50" disabled={pending}
                      onClick={() => run(() => deleteUserAction(u.id), `Delete the user ${u.username}? Their audit entries stay.`)}>Delete</Button>
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </div>
  );
}

function AddUserForm({ onCancel, onDone }: { onCancel: () => void; onDone: () => void }) {
  const [state, action, pending] = useActionState<CreateUserState, FormData>(async (prev, form) => {
    const r = await createUserAction(prev, form);
    if (r?.ok) onDone();
    return r;
  }, null);
  const errors = state && !state.ok ? state.errors : {};
  return (
    // Submitted by hand rather than through `action=`, so a refused form keeps what was typed.
    <form onSubmit={(e) => { e.preventDefault(); const data = new FormData(e.currentTarget); startFormTransition(() => action(data)); }} aria-label="Add user" className="space-y-4 rounded-lg border border-slate-200 bg-white p-5 shadow-sm">
      <h2 className="text-base font-semibold">Add User</h2>
      {state?.ok && <Secret message={state.message} password={state.password} />}
      <FormError message={errors._} />
      <div className="grid gap-4 sm:grid-cols-2">
        <FieldShell label="Username" error={errors.username} required>
          {({ id, describedBy, invalid }) => (
            <input id={id} name="username" required autoComplete="off" aria-describedby={describedBy} aria-invalid={invalid} className={inputClass} />
          )}
        </FieldShell>
        <FieldShell label="Role" error={errors.role} required>
          {({ id, describedBy }) => (
            <select id={id} name="role" defaultValue="viewer" aria-describedby={describedBy} className={inputClass}>
              {ROLES.map((r) => <option key={r} value={r}>{ROLE_LABEL[r]} — {ROLE_SUMMARY[r]}</option>)}
            </select>
          )}
        </FieldShell>
        <FieldShell label="Initial Password" error={errors.password} hint="Leave blank to generate one (shown once).">
          {({ id, describedBy, invalid }) => (
            <input id={id} name="password" type="password" autoComplete="new-password" aria-describedby={describedBy} aria-invalid={invalid} className={inputClass} />
          )}
        </FieldShell>
        <label className="flex items-center gap-2 self-end pb-2 text-sm text-slate-700">
          <input type="checkbox" name="mustChange" defaultChecked className="size-4" />
          Ask for a new password at first sign-in
        </label>
      </div>
      <div className="flex gap-2">
        <Button type="submit" disabled={pending}>{pending ? 'Creating…' : 'Create User'}</Button>
        <Button variant="secondary" onClick={onCancel}>Close</Button>
      </div>
    </form>
  );
}
