import Link from 'next/link';
import { ROLE_LABEL, type Role } from '@/lib/auth/roles';

/** The header's account corner: who is signed in, with which role; Account and Sign Out. */
export function UserMenu({ username, role }: { username: string; role: Role }) {
  return (
    <div className="flex items-center gap-3 text-sm">
      <span className="text-slate-700">
        Signed in as <strong className="font-semibold" data-testid="signed-in-user">{username}</strong>
        <span className="ml-1.5 rounded bg-slate-100 px-1.5 py-0.5 text-xs font-medium text-slate-600">{ROLE_LABEL[role]}</span>
      </span>
      <Link href="/account" className="text-brand-600 hover:underline">Account</Link>
      <form action="/api/auth/sign-out" method="post">
        <button type="submit" className="font-medium text-slate-600 hover:text-slate-900 hover:underline">Sign Out</button>
      </form>
    </div>
  );
}
