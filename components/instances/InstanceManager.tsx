'use client';
/** Instances of a region: list, register, edit, delete. Stored passwords are never shown. */
import { startTransition, useActionState, useEffect, useState } from 'react';
import { useCan } from '@/components/auth/AbilityProvider';
import { Button, FieldShell, FormError, inputClass } from '@/components/form/fields';
import { EmptyState } from '@/components/ui/EmptyState';
import type { Region } from '@/lib/catalog/regions';
import { deleteInstanceAction, saveInstanceAction, type InstanceFormState } from '@/lib/instances/actions';
import type { InstanceListItem } from '@/lib/instances/queries';

interface Props {
  region: Region;
  regions: readonly Region[];
  instances: InstanceListItem[];
}

export function InstanceManager({ region, regions, instances }: Props) {
  const [editing, setEditing] = useState<InstanceListItem | 'new' | null>(null);
  const [notice, setNotice] = useState<string>();
  const mayManage = useCan('operate');
  return (
    <div className="space-y-5">
      <div className="flex flex-wrap items-end justify-between gap-4">
        <div>
          <h1 className="text-xl font-semibold tracking-tight">Instances</h1>
          <p className="mt-1 text-sm text-slate-500">
            Redis / Tair instances registered in {region.label}. A task picks one as a Cloud Instance by its Instance ID; credentials are stored encrypted.
          </p>
        </div>
        {mayManage && <Button onClick={() => { setNotice(undefined); setEditing('new'); }}>Register Instance</Button>}
      </div>
      {notice && <p role="status" className="rounded-md border border-emerald-200 bg-emerald-50 px-3 py-2 text-sm text-emerald-800">{notice}</p>}
      {editing && (
        <InstanceForm key={editing === 'new' ? 'new' : editing.id} instance={editing === 'new' ? undefined : editing} region={region} regions={regions}
          onDone={(message) => { setEditing(null); setNotice(message); }} onCancel={() => setEditing(null)} />
      )}
      <section aria-label="Instances" className="overflow-hidden rounded-lg border border-slate-200 bg-white shadow-sm">
        {instances.length === 0 ? (
          <EmptyState title="No instances registered in this region">
            Register one to pick it by Instance ID in a task. Tasks can still use any Self-managed Database by host and port.
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
                <th className="px-4 py-3 font-medium">Credentials</th>
                <th className="px-4 py-3 font-medium">Encryption</th>
                <th className="px-4 py-3 font-medium"><span className="sr-only">Actions</span></th>
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
                  <td className="px-4 py-3 text-slate-600">{i.hasPassword ? (i.username ? `${i.username}:••••` : '••••••') : 'none'}</td>
                  <td className="px-4 py-3">{i.tls ? `SSL${i.caLabel ? `, CA: ${i.caLabel}` : ''}` : 'Non-encrypted'}</td>
                  <td className="px-4 py-3">
                    {mayManage && <div className="flex justify-end gap-1">
                      <Button variant="ghost" className="px-2 py-1" aria-label={`Edit ${i.instanceId}`} onClick={() => { setNotice(undefined); setEditing(i); }}>Edit</Button>
                      <form action={deleteInstanceAction} onSubmit={(e) => { if (!window.confirm(`Delete instance ${i.instanceId}? Tasks that use it keep their own copy of its address.`)) e.preventDefault(); }}>
                        <input type="hidden" name="id" value={i.id} />
                        <Button type="submit" variant="ghost" className="px-2 py-1 text-red-600 hover:bg-red-50" aria-label={`Delete ${i.instanceId}`}>Delete</Button>
                      </form>
                    </div>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </div>
  );
}

function InstanceForm({ instance, region, regions, onDone, onCancel }: {
  instance?: InstanceListItem; region: Region; regions: readonly Region[]; onDone: (message: string) => void; onCancel: () => void;
}) {
  const [state, action, pending] = useActionState<InstanceFormState, FormData>(saveInstanceAction, null);
  const errors = state && !state.ok ? state.errors : {};
  useEffect(() => {
    if (state?.ok) onDone(state.message);
  }, [state, onDone]);
  const field = (name: string, label: string, input: (p: { id: string; describedBy?: string; invalid: boolean }) => React.ReactNode, hint?: string) => (
    <FieldShell label={label} error={errors[name]} hint={hint}>{input}</FieldShell>
  );
  return (
    // Submitted by hand (not the action prop) so a rejected form keeps what was typed: React resets action forms.
    <form onSubmit={(e) => { e.preventDefault(); const data = new FormData(e.currentTarget); startTransition(() => action(data)); }} aria-label={instance ? `Edit instance ${instance.instanceId}` : 'Register instance'}
      className="space-y-4 rounded-lg border border-slate-200 bg-white p-5 shadow-sm">
      <h2 className="text-base font-semibold">{instance ? `Edit ${instance.instanceId}` : 'Register Instance'}</h2>
      {instance && <input type="hidden" name="id" value={instance.id} />}
      <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-3">
        {field('instanceId', 'Instance ID', (p) => <input id={p.id} aria-describedby={p.describedBy} aria-invalid={p.invalid} name="instanceId" defaultValue={instance?.instanceId} placeholder="r-bp1example" className={inputClass} />)}
        {field('name', 'Name', (p) => <input id={p.id} aria-describedby={p.describedBy} name="name" defaultValue={instance?.name} placeholder="Optional" className={inputClass} />)}
        {field('region', 'Instance Region', (p) => (
          <select id={p.id} name="region" defaultValue={instance?.region ?? region.id} className={inputClass}>
            {regions.map((r) => <option key={r.id} value={r.id}>{r.label}</option>)}
          </select>
        ))}
        {field('databaseType', 'Database Type', (p) => (
          <select id={p.id} name="databaseType" defaultValue={instance?.databaseType ?? 'Redis'} className={inputClass}>
            <option value="Redis">Redis</option><option value="Tair">Tair</option>
          </select>
        ))}
        {field('host', 'Host', (p) => <input id={p.id} aria-describedby={p.describedBy} aria-invalid={p.invalid} name="host" defaultValue={instance?.host} placeholder="10.0.0.12" className={inputClass} />)}
        {field('port', 'Port', (p) => <input id={p.id} aria-describedby={p.describedBy} aria-invalid={p.invalid} name="port" type="number" min={1} max={65535} defaultValue={instance?.port ?? 6379} className={inputClass} />)}
        {field('mode', 'Instance Mode', (p) => (
          <select id={p.id} name="mode" defaultValue={instance?.mode ?? 'standalone'} className={inputClass}>
            <option value="standalone">Standalone</option><option value="cluster">Cluster</option>
          </select>
        ))}
        {field('password', 'Database Password', (p) => (
          <input id={p.id} aria-describedby={p.describedBy} name="password" type="password" autoComplete="new-password"
            placeholder={instance?.hasPassword ? 'Stored (leave blank to keep it)' : 'Optional'} className={inputClass} />
        ), '<password> or <user>:<password>; stored encrypted, never shown again.')}
        {field('encryption', 'Encryption', (p) => (
          <select id={p.id} name="encryption" defaultValue={instance?.tls ? 'ssl' : 'plain'} className={inputClass}>
            <option value="plain">Non-encrypted</option><option value="ssl">SSL</option>
          </select>
        ))}
      </div>
      {field('tlsCa', 'CA Certificate', (p) => (
        <textarea id={p.id} aria-describedby={p.describedBy} aria-invalid={p.invalid} name="tlsCa" rows={3} spellCheck={false}
          placeholder={instance?.caLabel ? `Set: ${instance.caLabel} (leave blank to keep it)` : '-----BEGIN CERTIFICATE----- … (optional)'}
          className={`${inputClass} font-mono text-xs`} />
      ), 'With SSL: the CA that signed the instance’s certificate, used by tasks that pick this instance; blank uses the system’s trusted CAs.')}
      {instance?.hasPassword && (
        <label className="flex items-center gap-2 text-sm text-slate-700">
          <input type="checkbox" name="clearPassword" className="size-4 accent-brand-500" /> Remove the stored password
        </label>
      )}
      {instance?.caLabel && (
        <label className="flex items-center gap-2 text-sm text-slate-700">
          <input type="checkbox" name="clearCa" className="size-4 accent-brand-500" /> Remove the CA certificate
        </label>
      )}
      <FormError message={errors._} />
      <div className="flex justify-end gap-3">
        <Button variant="secondary" onClick={onCancel}>Cancel</Button>
        <Button type="submit" disabled={pending}>{instance ? 'Save' : 'Register'}</Button>
      </div>
    </form>
  );
}
