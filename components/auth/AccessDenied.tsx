import Link from 'next/link';
import { isRole, refusal, type Ability } from '@/lib/auth/roles';

/** What a signed-in user sees where their role may not go: which ability is missing, and the way back. */
export function AccessDenied({ role, need }: { role: string; need: Ability }) {
  return (
    <div className="max-w-xl space-y-3">
      <h1 className="text-xl font-semibold tracking-tight">Access denied</h1>
      <p role="alert" className="rounded-md border border-amber-200 bg-amber-50 px-3 py-2 text-sm text-amber-900">
        {isRole(role) ? refusal(role, need) : 'Your account has no role.'}
      </p>
      <Link href="/sync-tasks" className="text-sm text-brand-600 hover:underline">Back to Data Synchronization Tasks</Link>
    </div>
  );
}
