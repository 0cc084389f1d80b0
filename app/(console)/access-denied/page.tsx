import Link from 'next/link';
import { requirePageUser } from '@/lib/auth/guard';
import { isRole, refusal, type Ability } from '@/lib/auth/roles';
import { firstParam, type SearchParams } from '@/lib/http/search-params';

export const dynamic = 'force-dynamic';

const ABILITIES: Ability[] = ['view', 'operate', 'manage-users'];

/** Where the proxy sends a page a role may not open. */
export default async function AccessDeniedPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const user = await requirePageUser();
  const need = firstParam(await searchParams, 'need');
  const ability = ABILITIES.find((a) => a === need) ?? 'operate';
  return (
    <div className="max-w-xl space-y-3">
      <h1 className="text-xl font-semibold tracking-tight">Access denied</h1>
      <p role="alert" className="rounded-md border border-amber-200 bg-amber-50 px-3 py-2 text-sm text-amber-900">
        {isRole(user.role) ? refusal(user.role, ability) : 'Your account has no role.'}
      </p>
      <Link href="/sync-tasks" className="text-sm text-brand-600 hover:underline">Back to Data Synchronization Tasks</Link>
    </div>
  );
}
