import { ApiTokens } from '@/components/auth/ApiTokens';
import { ChangePasswordForm } from '@/components/auth/ChangePasswordForm';
import { listApiTokens } from '@/lib/auth/api-tokens';
import { requirePageUser } from '@/lib/auth/guard';
import { ROLE_LABEL, ROLE_SUMMARY } from '@/lib/auth/roles';
import { db } from '@/lib/db/client';

export const dynamic = 'force-dynamic';

export default async function AccountPage() {
  const user = await requirePageUser();
  const record = await db().user.findUnique({ where: { id: user.id }, select: { mustChangePassword: true, lastSignInAt: true } });
  return (
    <div className="max-w-3xl space-y-5">
      <div>
        <h1 className="text-xl font-semibold tracking-tight">Account</h1>
        <p className="mt-1 text-sm text-slate-500">
          {user.username} — {ROLE_LABEL[user.role]} ({ROLE_SUMMARY[user.role]}).
        </p>
      </div>
      {record?.mustChangePassword && (
        <p role="status" className="rounded-md border border-amber-200 bg-amber-50 px-3 py-2 text-sm text-amber-900">
          Your password was generated or reset by an admin. Choose a new one before you continue.
        </p>
      )}
      <ChangePasswordForm />
      <ApiTokens tokens={await listApiTokens(db(), user.id)} role={user.role} />
    </div>
  );
}
