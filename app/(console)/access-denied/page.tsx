import { AccessDenied } from '@/components/auth/AccessDenied';
import { requirePageUser } from '@/lib/auth/guard';
import type { Ability } from '@/lib/auth/roles';
import { firstParam, type SearchParams } from '@/lib/http/search-params';

export const dynamic = 'force-dynamic';

const ABILITIES: Ability[] = ['view', 'operate', 'manage-users'];

/** Where the proxy sends a page a role may not open. */
export default async function AccessDeniedPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const user = await requirePageUser();
  const need = firstParam(await searchParams, 'need');
  return <AccessDenied role={user.role} need={ABILITIES.find((a) => a === need) ?? 'operate'} />;
}
