'use client';
import { Button, CheckboxField, FieldShell, inputClass, SelectField, TextField, NumberField, type Choice } from '@/components/form/fields';
import type { Region } from '@/lib/catalog/regions';
import type { EndpointInput } from '@/lib/tasks/endpoint-input';
import type { ConnectionOutcome } from '@/lib/redis';
import type { FieldErrors, InstanceListItem } from './types';

interface Props {
  legend: 'Source Database' | 'Destination Database';
  value: EndpointInput;
  onChange: (next: EndpointInput) => void;
  errors: FieldErrors;
  instances: InstanceListItem[];
  regions: readonly Region[];
  outcome?: ConnectionOutcome;
  showCrossAccount?: boolean;
}

const DB_TYPES: Choice<EndpointInput['databaseType']>[] = [{ value: 'Redis', label: 'Redis' }, { value: 'Tair', label: 'Tair' }];
const ACCESS: Choice<EndpointInput['accessMethod']>[] = [
  { value: 'cloud', label: 'Cloud Instance' },
  { value: 'self-managed', label: 'Self-managed Database' },
];
const MODES: Choice<EndpointInput['mode']>[] = [{ value: 'standalone', label: 'Standalone' }, { value: 'cluster', label: 'Cluster' }];
const AUTH: Choice<EndpointInput['authMethod']>[] = [
  { value: 'password', label: 'Password Logon' },
  { value: 'password-free', label: 'Password-free Logon' },
];
const ENCRYPTION: Choice<'plain' | 'ssl'>[] = [{ value: 'plain', label: 'Non-encrypted' }, { value: 'ssl', label: 'SSL' }];

export function EndpointFieldset({ legend, value, onChange, errors, instances, regions, outcome, showCrossAccount }: Props) {
  const set = <K extends keyof EndpointInput>(k: K, v: EndpointInput[K]) => onChange({ ...value, [k]: v });
  const inRegion = instances.filter((i) => i.region === value.region);
  const chosen = instances.find((i) => i.instanceId === value.instanceId);
  const dmsOptions: Choice<string>[] = [
    { value: '', label: 'None (enter the database below)' },
    ...instances.map((i) => ({ value: i.instanceId, label: `${i.instanceId}${i.name ? ` (${i.name})` : ''} — ${regions.find((r) => r.id === i.region)?.label ?? i.region}` })),
  ];
  const passwordPlaceholder = value.keepStoredPassword
    ? 'Stored password (leave blank to keep it)'
    : value.accessMethod === 'cloud' && chosen?.hasPassword ? 'Stored with the instance (leave blank to use it)' : 'Optional';

  function pickDms(instanceId: string) {
    const inst = instances.find((i) => i.instanceId === instanceId);
    if (!inst) {
      onChange({ ...value, dmsInstance: '' });
      return;
    }
    onChange({
      ...value, dmsInstance: inst.instanceId, accessMethod: 'cloud', region: inst.region, instanceId: inst.instanceId,
      databaseType: inst.databaseType, mode: inst.mode, tls: inst.tls, password: '',
    });
  }

  return (
    <fieldset className="min-w-0 space-y-4 rounded-lg border border-slate-200 bg-white p-5 shadow-sm">
      <legend className="px-1 text-base font-semibold text-slate-900">{legend}</legend>
      <SelectField label="Select DMS Database Instance" value={value.dmsInstance} options={dmsOptions} onChange={pickDms}
        hint="Optional: pick a registered instance to fill in the fields below." />
      <div className="grid gap-4 sm:grid-cols-2">
        <SelectField label="Database Type" value={value.databaseType} options={DB_TYPES} onChange={(v) => set('databaseType', v)} />
        <SelectField label="Access Method" value={value.accessMethod} options={ACCESS} onChange={(v) => set('accessMethod', v)} />
        <SelectField label="Instance Region" value={value.region} options={regions.map((r) => ({ value: r.id, label: r.label }))}
          onChange={(v) => onChange({ ...value, region: v, instanceId: '', dmsInstance: '' })} />
        {showCrossAccount && (
          <SelectField label="Cross-Account" value="no" options={[{ value: 'no', label: 'No' }]} onChange={() => undefined}
            hint="Migrations between accounts are not supported." />
        )}
      </div>
      {value.accessMethod === 'cloud' ? (
        <SelectField label="Instance ID" value={value.instanceId} error={errors.instanceId}
          options={[{ value: '', label: inRegion.length ? 'Select an instance' : 'No instances registered in this region' },
            ...inRegion.map((i) => ({ value: i.instanceId, label: `${i.instanceId}${i.name ? ` (${i.name})` : ''} · ${i.address}` }))]}
          onChange={(v) => {
            const inst = instances.find((i) => i.instanceId === v);
            onChange({ ...value, instanceId: v, ...(inst ? { mode: inst.mode, tls: inst.tls, databaseType: inst.databaseType } : {}) });
          }}
          hint={<>Instances are registered on the <a className="text-brand-600 underline" href={`/instances?region=${encodeURIComponent(value.region)}`}>Instances</a> page.</>} />
      ) : (
        <div className="grid gap-4 sm:grid-cols-[1fr_8rem]">
          <TextField label="Host" value={value.host} onChange={(v) => set('host', v)} error={errors.host} placeholder="10.0.0.12 or redis.internal" autoComplete="off" spellCheck={false} />
          <NumberField label="Port" value={value.port} onChange={(v) => set('port', v)} error={errors.port} min={1} max={65535} />
        </div>
      )}
      <div className="grid gap-4 sm:grid-cols-2">
        <SelectField label="Instance Mode" value={value.mode} options={MODES} onChange={(v) => set('mode', v)} />
        <SelectField label="Authentication Method" value={value.authMethod} options={AUTH} onChange={(v) => set('authMethod', v)} />
      </div>
      {value.authMethod === 'password' && (
        <TextField label="Database Password" type="password" value={value.password} onChange={(v) => set('password', v)} error={errors.password}
          placeholder={passwordPlaceholder} autoComplete="new-password"
          hint={<>Optional. <code>&lt;password&gt;</code>, or <code>&lt;user&gt;:&lt;password&gt;</code> for an ACL account{legend === 'Source Database' ? ' (needs read and PSYNC permissions)' : ' (needs write permissions)'}.</>} />
      )}
      <SelectField label="Encryption" value={value.tls ? 'ssl' : 'plain'} options={ENCRYPTION} onChange={(v) => set('tls', v === 'ssl')} />
      {value.tls && <CertificateFields value={value} onChange={onChange} errors={errors} />}
      {outcome && <ConnectionResult outcome={outcome} side={legend === 'Source Database' ? 'source' : 'destination'} />}
    </fieldset>
  );
}

/**
 * How an SSL side's certificate is verified — a CA pasted as PEM (or the stored one), the system's CAs, or
 * not at all — and the client certificate presented to a server that asks for one.
 */
function CertificateFields({ value, onChange, errors }: Pick<Props, 'value' | 'onChange' | 'errors'>) {
  const stored = value.keepStoredCa && value.storedCa && !value.tlsCa;
  return (
    <div className="space-y-3 rounded-md border border-slate-200 bg-slate-50 p-3">
      {!value.tlsInsecure && (
        <>
          {stored && (
            <div className="flex items-center justify-between gap-3 text-sm text-slate-700">
              <p>CA certificate set: <span className="font-medium">{value.storedCa}</span></p>
              <Button variant="ghost" type="button" onClick={() => onChange({ ...value, keepStoredCa: false })}>Remove</Button>
            </div>
          )}
          <FieldShell label="CA Certificate" error={errors.tlsCa}
            hint={<>Optional. The PEM text of the CA that signed the server&apos;s certificate (a self-signed certificate is its own CA).
              {stored ? ' Paste another one to replace the one set.' : ' Empty: the system’s trusted CAs.'}</>}>
            {({ id, describedBy, invalid }) => (
              <textarea id={id} aria-describedby={describedBy} aria-invalid={invalid} rows={4} spellCheck={false} value={value.tlsCa}
                onChange={(e) => onChange({ ...value, tlsCa: e.target.value })} className={`${inputClass} font-mono text-xs`}
                placeholder={'-----BEGIN CERTIFICATE-----\n…\n-----END CERTIFICATE-----'} />
            )}
          </FieldShell>
        </>
      )}
      <CheckboxField label="Skip certificate verification (insecure)" checked={value.tlsInsecure}
        onChange={(v) => onChange({ ...value, tlsInsecure: v })}
        hint={<span className={value.tlsInsecure ? 'font-medium text-amber-800' : undefined}>
          The traffic is encrypted but the server&apos;s identity is not checked: anyone on the network path could pose as this database. Only where nobody can intercept it.
        </span>} />
      <ClientCertificateFields value={value} onChange={onChange} errors={errors} />
    </div>
  );
}

/** Client Certificate and Client Private Key, for a server with tls-auth-clients; the stored key is never sent back, only which certificate is set. */
function ClientCertificateFields({ value, onChange, errors }: Pick<Props, 'value' | 'onChange' | 'errors'>) {
  const stored = value.keepStoredClientCert && value.storedClientCert && !value.tlsCert && !value.tlsKey;
  const pem = (label: string, field: 'tlsCert' | 'tlsKey', placeholder: string, hint: string) => (
    <FieldShell label={label} error={errors[field]} hint={hint}>
      {({ id, describedBy, invalid }) => (
        <textarea id={id} aria-describedby={describedBy} aria-invalid={invalid} rows={4} spellCheck={false} autoComplete="off" value={value[field]}
          onChange={(e) => onChange({ ...value, [field]: e.target.value })} className={`${inputClass} font-mono text-xs`} placeholder={placeholder} />
      )}
    </FieldShell>
  );
  return (
    <div className="space-y-3 border-t border-slate-200 pt-3">
      {stored && (
        <div className="flex items-center justify-between gap-3 text-sm text-slate-700">
          <p>Client certificate set: <span className="font-medium">{value.storedClientCert}</span></p>
          <Button variant="ghost" type="button" onClick={() => onChange({ ...value, keepStoredClientCert: false })}>Remove client certificate</Button>
        </div>
      )}
      {pem('Client Certificate', 'tlsCert', '-----BEGIN CERTIFICATE-----\n…\n-----END CERTIFICATE-----',
        `Optional, with its key: for a server that requires client certificates (tls-auth-clients). PEM, signed by a CA the server trusts.${stored ? ' Paste another one, with its key, to replace the one set.' : ''}`)}
      {pem('Client Private Key', 'tlsKey', '-----BEGIN PRIVATE KEY-----\n…\n-----END PRIVATE KEY-----',
        'The unencrypted PEM key of the Client Certificate. Stored encrypted and never shown again.')}
    </div>
  );
}

function ConnectionResult({ outcome, side }: { outcome: ConnectionOutcome; side: string }) {
  if (!outcome.ok) {
    return (
      <div role="alert" className="rounded-md border border-red-200 bg-red-50 p-3 text-sm text-red-800">
        <p className="font-semibold">The {side} database cannot be connected</p>
        <p className="mt-1">{outcome.message}</p>
        {outcome.hint && <p className="mt-1 text-red-700">{outcome.hint}</p>}
      </div>
    );
  }
  const keys = outcome.keyspace.reduce((n, d) => n + d.keys, 0);
  return (
    <div role="status" className="rounded-md border border-emerald-200 bg-emerald-50 p-3 text-sm text-emerald-800">
      <p className="font-semibold">Connected to {outcome.address}</p>
      <p className="mt-1">{outcome.flavor} {outcome.version}, {outcome.mode}{outcome.shards > 1 ? ` (${outcome.shards} shards)` : ''}, {keys} key(s) in {outcome.keyspace.length} DB(s).</p>
      {outcome.notes.map((n) => <p key={n} className="mt-1 text-amber-800">{n}</p>)}
    </div>
  );
}
