'use client';
import { useActionState, useState } from 'react';
import { Button, CheckboxField, FormError, SelectField } from '@/components/form/fields';
import { BILLING_METHODS, RESOURCE_GROUPS } from '@/lib/catalog/billing';
import { DEFAULT_LINK_SPEC, LINK_SPECS, maxRpsLabel, type LinkSpecId } from '@/lib/catalog/link-specs';
import { purchaseAction } from '@/lib/tasks/wizard-actions';

export function PurchaseStep({ taskId, onBack }: { taskId: string; onBack: () => void }) {
  const [state, action, pending] = useActionState(purchaseAction, null);
  const [spec, setSpec] = useState<LinkSpecId>(DEFAULT_LINK_SPEC);
  const [resourceGroup, setResourceGroup] = useState<string>('default');
  const [terms, setTerms] = useState(false);
  const errors = state?.errors ?? {};
  return (
    <form action={action} className="space-y-5">
      <input type="hidden" name="taskId" value={taskId} />
      <section className="space-y-5 rounded-lg border border-slate-200 bg-white p-5 shadow-sm">
        <fieldset className="space-y-2">
          <legend className="text-sm font-medium text-slate-700">Billing Method</legend>
          {BILLING_METHODS.map((b) => (
            <label key={b.id} className="inline-flex items-center gap-2 rounded-md border border-brand-500 bg-brand-50 px-3 py-2 text-sm font-medium text-brand-700">
              <input type="radio" name="billingMethod" value={b.id} defaultChecked className="accent-brand-500" />{b.label}
            </label>
          ))}
          <p className="text-xs text-slate-500">Full migration is free; incremental synchronization is billed by how long it runs.</p>
        </fieldset>
        <div className="max-w-sm">
          <SelectField label="Resource Group Configuration" value={resourceGroup} onChange={setResourceGroup}
            options={RESOURCE_GROUPS.map((g) => ({ value: g.id, label: g.label }))} error={errors.resourceGroup} />
          <input type="hidden" name="resourceGroup" value={resourceGroup} />
        </div>
        <fieldset className="space-y-2">
          <legend className="text-sm font-medium text-slate-700">Instance Class</legend>
          <p className="text-xs text-slate-500">The link specification: the highest rate the task writes at. Default large.</p>
          <div className="grid gap-2 sm:grid-cols-2 lg:grid-cols-4">
            {LINK_SPECS.map((s) => (
              <label key={s.id} className={`flex cursor-pointer items-center gap-3 rounded-md border px-3 py-2 text-sm ${spec === s.id ? 'border-brand-500 bg-brand-50' : 'border-slate-300 bg-white hover:border-slate-400'}`}>
                <input type="radio" name="instanceClass" value={s.id} checked={spec === s.id} onChange={() => setSpec(s.id)} className="accent-brand-500" />
                <span>
                  <span className="block font-medium text-slate-900">{s.label}</span>
                  <span className="block text-xs text-slate-500">{maxRpsLabel(s.maxRps)}</span>
                </span>
              </label>
            ))}
          </div>
          {errors.instanceClass && <p className="text-xs font-medium text-red-600">{errors.instanceClass}</p>}
        </fieldset>
        <div>
          <CheckboxField name="terms" checked={terms} onChange={setTerms}
            label={<>I have read and agree to the <a href="#terms" className="text-brand-600 underline">Terms of Service</a> of the Data Transmission Service.</>} />
          {errors.terms && <p className="mt-1 text-xs font-medium text-red-600">{errors.terms}</p>}
          <details id="terms" className="mt-2 rounded-md bg-slate-50 px-3 py-2 text-xs text-slate-600 ring-1 ring-inset ring-slate-200">
            <summary className="cursor-pointer font-medium text-slate-700">Terms of Service</summary>
            <ul className="mt-2 list-disc space-y-1 pl-4">
              <li>The task reads the source as a replica and writes to the destination with the accounts you gave; you confirm you may do both.</li>
              <li>Keys in the destination with the same names as the source&apos;s are replaced, as the conflict setting and the precheck describe.</li>
              <li>Full migration is free; incremental synchronization is billed by how long it runs, at the selected instance class, until you End or Release the task.</li>
              <li>Verify the destination (Data Verification) before you switch your applications to it.</li>
            </ul>
          </details>
        </div>
      </section>
      <FormError message={errors._} />
      <div className="flex items-center justify-between border-t border-slate-200 pt-4">
        <Button variant="secondary" onClick={onBack} disabled={pending}>Previous</Button>
        <Button type="submit" disabled={pending || !terms}>{pending ? 'Starting…' : 'Purchase And Start'}</Button>
      </div>
    </form>
  );
}
