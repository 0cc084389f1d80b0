import { EmptyState } from '@/components/ui/EmptyState';
import { regionById } from '@/lib/catalog/regions';
import { firstParam, type SearchParams } from '@/lib/http/search-params';
import { listInstances } from '@/lib/instances/queries';

export const dynamic = 'force-dynamic';

export default async function InstancesPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const region = regionById(firstParam(await searchParams, 'region'));
  const instances = await listInstances(region.id);
  return (
    <div className="space-y-5">
      <div>
        <h1 className="text-xl font-semibold tracking-tight">Instances</h1>
        <p className="mt-1 text-sm text-slate-500">
          Redis / Tair instances registered in {region.label}. A task can pick one as a Cloud Instance by its Instance ID.
        </p>
      </div>
      <section aria-label="Instances" className="overflow-hidden rounded-lg border border-slate-200 bg-white shadow-sm">
        {instances.length === 0 ? (
          <EmptyState title="No instances registered in this region">
            Tasks can still use any Self-managed Database by host and port.
          </EmptyState>
        ) : (
          <table className="w-full text-left text-sm">
            <thead className="border-b border-slate-200 bg-slate-50 text-xs uppercase tracking-wide text-slate-500">
              <tr>
                <th className="px-4 py-3 font-medium">Instance ID</th>
                <th className="px-4 py-3 font-medium">Name</th>
                <th className="px-4 py-3 font-medium">Database Type</th>
                <th className="px-4 py-3 font-medium">Instance Mode</th>
                <th className="px-4 py-3 font-medium">Address</th>
                <th className="px-4 py-3 font-medium">Encryption</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {instances.map((i) => (
                <tr key={i.id}>
                  <td className="px-4 py-3 font-mono text-xs">{i.instanceId}</td>
                  <td className="px-4 py-3">{i.name || '—'}</td>
                  <td className="px-4 py-3">{i.databaseType}</td>
                  <td className="px-4 py-3 capitalize">{i.mode}</td>
                  <td className="px-4 py-3 font-mono text-xs">{i.address}</td>
                  <td className="px-4 py-3">{i.tls ? 'SSL' : 'Non-encrypted'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </div>
  );
}
