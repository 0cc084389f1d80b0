'use client';
/** Account page: the user's API tokens (for /api/v1 and /metrics), a form to create one (shown once) and Revoke. */
import { useActionState } from 'react';
import { Button, FieldShell, FormError, inputClass } from '@/components/form/fields';
import type { ApiTokenView } from '@/lib/auth/api-tokens';
import { ROLE_LABEL, ROLES, type Role } from '@/lib/auth/roles';
import { createTokenAction, revokeTokenAction, type TokenFormState } from '@/lib/auth/token-actions';

const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

function when(iso: string | null): string {
  return iso ? `${iso.slice(0, 19).replace('T', ' ')} UTC` : '—';
}

export function ApiTokens({ tokens, role }: { tokens: ApiTokenView[]; role: Role }) {
  const [state, action, pending] = useActionState<TokenFormState, FormData>(createTokenAction, null);
  const errors = state && !state.ok ? state.errors : {};
  const roles = ROLES.filter((r) => RANK[r] <= RANK[role]);
  return (
    <section aria-label="API tokens" className="space-y-4 rounded-lg border border-slate-200 bg-white p-5 shadow-sm">
      <div>
        <h2 className="text-base font-semibold">API Tokens</h2>
        <p className="mt-1 text-sm text-slate-500">
          For scripts and monitoring: send one as <code>Authorization: Bearer …</code> to <code>/api/v1</code> or <code>/metrics</code>.
          A token acts as you, with the role you give it (at most yours).
        </p>
      </div>
      {state?.ok && (
        <div role="status" className="space-y-1 rounded-md border border-emerald-200 bg-emerald-50 px-3 py-2 text-sm text-emerald-900">
          <p>Token <strong>{state.name}</strong> created. Copy it now: it is not shown again.</p>
          <input readOnly aria-label="New API token" value={state.token} className={`${inputClass} font-mono`} onFocus={(e) => e.currentTarget.select()} />
        </div>
      )}
      <form action={action} aria-label="Create API token" className="grid gap-3 sm:grid-cols-3">
        <FormError message={errors._} />
        <FieldShell label="Token Name" error={errors.name} required>
          {({ id, describedBy, invalid }) => (
            <input id={id} name="name" required maxLength={64} placeholder="ci" aria-describedby={describedBy} aria-invalid={invalid} className={inputClass} />
          )}
        </FieldShell>
        <FieldShell label="Token Role" error={errors.role}>
          {({ id, describedBy, invalid }) => (
            <select id={id} name="role" defaultValue={role} aria-describedby={describedBy} aria-invalid={invalid} className={inputClass}>
              {roles.map((r) => <option key={r} value={r}>{ROLE_LABEL[r]}</option>)}
            </select>
          )}
        </FieldShell>
        <FieldShell label="Expires In" error={errors.expires} hint="e.g. 30d, 12h; blank: never">
          {({ id, describedBy, invalid }) => (
            <input id={id} name="expires" placeholder="30d" aria-describedby={describedBy} aria-invalid={invalid} className={inputClass} />
          )}
        </FieldShell>
        <div className="sm:col-span-3">
          <Button type="submit" disabled={pending}>{pending ? 'Creating…' : 'Create Token'}</Button>
        </div>
      </form>
      {tokens.length === 0 ? (
        <p className="text-sm text-slate-500">No API tokens yet.</p>
      ) : (
        <table aria-label="Your API tokens" className="w-full text-left text-sm">
          <thead className="text-xs text-slate-500">
            <tr><th className="py-1 font-medium">Name</th><th className="font-medium">Role</th><th className="font-medium">State</th><th className="font-medium">Expires</th><th className="font-medium">Last Used</th><th /></tr>
          </thead>
          <tbody className="divide-y divide-slate-100">
            {tokens.map((t) => (
              <tr key={t.id}>
                <td className="py-1.5"><span className="font-medium">{t.name}</span> <span className="font-mono text-xs text-slate-500">{t.prefix}…</span></td>
                <td>{ROLE_LABEL[t.role]}</td>
                <td>{t.state === 'active' ? 'Active' : t.state === 'expired' ? 'Expired' : 'Revoked'}</td>
                <td>{when(t.expiresAt)}</td>
                <td>{when(t.lastUsedAt)}</td>
                <td className="text-right">
                  {t.state === 'active' && (
                    <form action={revokeTokenAction}>
                      <input type="hidden" name="id" value={t.id} />
                      <Button type="submit" variant="ghost" aria-label={`Revoke ${t.name}`}>Revoke</Button>
                    </form>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
