import Link from 'next/link';
import { AuditTable } from '@/components/audit/AuditTable';
import { auditUsernames, listAudit } from '@/lib/audit';
import { requirePageUser } from '@/lib/auth/guard';
import { firstParam, type SearchParams } from '@/lib/http/search-params';

export const dynamic = 'force-dynamic';

const PAGE = 100;

/** The audit trail, newest first, filterable by user. */
export default async function AuditPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  await requirePageUser();
  const params = await searchParams;
  const user = firstParam(params, 'user') || undefined;
  const before = Number(firstParam(params, 'before')) || undefined;
  const [entries, usernames] = await Promise.all([listAudit({ username: user, before, limit: PAGE }), auditUsernames()]);
  const older = entries.length === PAGE ? `/audit?${new URLSearchParams({ ...(user ? { user } : {}), before: String(entries[entries.length - 1].id) })}` : null;
  return (
    <div className="space-y-5">
      <div>
        <h1 className="text-xl font-semibold tracking-tight">Audit</h1>
        <p className="mt-1 text-sm text-slate-500">
          Who created, started, paused, ended, released or changed which task, instance or account, and when (UTC), newest first.
        </p>
      </div>
      <form method="get" action="/audit" className="flex flex-wrap items-end gap-3" aria-label="Filter the audit trail">
        <label className="flex items-center gap-2 text-sm text-slate-600">
          User
          <select name="user" defaultValue={user ?? ''} aria-label="User"
            className="rounded-md border border-slate-300 bg-white px-2 py-1.5 text-sm text-slate-900 shadow-sm">
            <option value="">All users</option>
            {usernames.map((u) => <option key={u} value={u}>{u}</option>)}
          </select>
        </label>
        <button type="submit" className="rounded-md bg-white px-3 py-1.5 text-sm font-medium text-slate-700 shadow-sm ring-1 ring-inset ring-slate-300 hover:bg-slate-50">Filter</button>
        {user && <Link href="/audit" className="text-sm text-brand-600 hover:underline">Show all</Link>}
      </form>
      <section aria-label="Audit entries" className="overflow-hidden rounded-lg border border-slate-200 bg-white shadow-sm">
        {entries.length === 0
          ? <p className="px-5 py-8 text-center text-sm text-slate-500">No entries{user ? ` for ${user}` : ''}.</p>
          : <AuditTable entries={entries} />}
      </section>
      {older && <Link href={older} className="text-sm text-brand-600 hover:underline">Older entries</Link>}
    </div>
  );
}
