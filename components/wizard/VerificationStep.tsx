'use client';
import { NumberField, SelectField, YesNoField } from '@/components/form/fields';
import { VERIFY_MODE_LABEL, VERIFY_MODES, type VerificationSettings } from '@/lib/tasks/options';
import type { FieldErrors } from './types';

interface Props {
  value: VerificationSettings;
  onChange: (next: VerificationSettings) => void;
  errors: FieldErrors;
}

export function VerificationStep({ value, onChange, errors }: Props) {
  const full = value.full;
  const setFull = (patch: Partial<VerificationSettings['full']>) => onChange({ ...value, full: { ...full, ...patch } });
  const e = (k: string) => errors[`verification.${k}`];
  return (
    <div className="space-y-6">
      <section className="space-y-4 rounded-lg border border-slate-200 bg-white p-5 shadow-sm">
        <h3 className="text-sm font-semibold text-slate-900">Full Data Verification</h3>
        <YesNoField legend="Full Data Verification" name="fullVerification" value={full.enabled} onChange={(v) => setFull({ enabled: v })}
          hint="Default Yes: after the full migration, compare every key of the selected DBs, in rounds that recheck only the keys that differed." />
        {full.enabled && (
          <div className="grid gap-4 sm:grid-cols-2">
            <SelectField label="Verification Mode" value={full.mode} onChange={(v) => setFull({ mode: v })}
              options={VERIFY_MODES.map((m) => ({ value: m, label: VERIFY_MODE_LABEL[m] }))} hint="Default Full value." />
            <NumberField label="Verification Rounds" min={1} max={10} value={full.rounds} onChange={(v) => setFull({ rounds: v })} error={e('full.rounds')}
              hint="1–10, default 3. Later rounds recheck only keys that differed, so replication lag washes out." />
            <NumberField label="Verification Rate Limit" unit="keys/s" min={1} value={full.rateLimit} onChange={(v) => setFull({ rateLimit: v })} error={e('full.rateLimit')}
              hint="Default 5,000 keys/s." />
            {full.mode === 'full-length-above' && (
              <NumberField label="Big-key Threshold" unit="elements (bytes for a string)" min={1} value={full.bigKeyThreshold} onChange={(v) => setFull({ bigKeyThreshold: v })} error={e('full.bigKeyThreshold')}
                hint="Values larger than this are compared by length only. Default 16,384." />
            )}
          </div>
        )}
      </section>
      <section className="space-y-4 rounded-lg border border-slate-200 bg-white p-5 shadow-sm">
        <h3 className="text-sm font-semibold text-slate-900">Incremental Data Verification</h3>
        <YesNoField legend="Incremental Data Verification" name="incrementalVerification" value={value.incremental.enabled}
          onChange={(v) => onChange({ ...value, incremental: { enabled: v } })}
          hint="Default No. Rechecks each key the stream wrote a few seconds after the write and reports the ones that still differ." />
      </section>
    </div>
  );
}
