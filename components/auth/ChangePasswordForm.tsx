'use client';
import Link from 'next/link';
import { useActionState } from 'react';
import { Button, FieldShell, FormError, inputClass } from '@/components/form/fields';
import { changePasswordAction, type PasswordFormState } from '@/lib/auth/actions';
import { MIN_PASSWORD_LENGTH } from '@/lib/auth/password-policy';

export function ChangePasswordForm() {
  const [state, action, pending] = useActionState<PasswordFormState, FormData>(changePasswordAction, null);
  const errors = state && !state.ok ? state.errors : {};
  return (
    <form action={action} aria-label="Change password" className="space-y-4 rounded-lg border border-slate-200 bg-white p-5 shadow-sm">
      <h2 className="text-base font-semibold">Change Password</h2>
      {state?.ok && (
        <p role="status" className="rounded-md border border-emerald-200 bg-emerald-50 px-3 py-2 text-sm text-emerald-800">
          {state.message} <Link href="/sync-tasks" className="font-medium underline">Continue to the console</Link>
        </p>
      )}
      <FormError message={errors._} />
      <FieldShell label="Current Password" error={errors.current} required>
        {({ id, describedBy, invalid }) => (
          <input id={id} name="current" type="password" autoComplete="current-password" required aria-describedby={describedBy} aria-invalid={invalid} className={inputClass} />
        )}
      </FieldShell>
      <FieldShell label="New Password" error={errors.next} hint={`At least ${MIN_PASSWORD_LENGTH} characters, without the username.`} required>
        {({ id, describedBy, invalid }) => (
          <input id={id} name="next" type="password" autoComplete="new-password" required aria-describedby={describedBy} aria-invalid={invalid} className={inputClass} />
        )}
      </FieldShell>
      <FieldShell label="Confirm New Password" error={errors.confirm} required>
        {({ id, describedBy, invalid }) => (
          <input id={id} name="confirm" type="password" autoComplete="new-password" required aria-describedby={describedBy} aria-invalid={invalid} className={inputClass} />
        )}
      </FieldShell>
      <Button type="submit" disabled={pending}>{pending ? 'Saving…' : 'Change Password'}</Button>
    </form>
  );
}
