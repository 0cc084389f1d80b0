/** The task's settings as the wizard stored them: endpoints, objects, advanced settings, verification, purchase. */
import type { ReactNode } from 'react';
import type { EndpointView, TaskConfigView } from '@/lib/tasks/details';
import { READ_METHOD_LABEL, VERIFY_MODE_LABEL } from '@/lib/tasks/options';

function Item({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="grid grid-cols-[minmax(0,14rem)_1fr] gap-4 py-2">
      <dt className="text-slate-500">{label}</dt>
      <dd className="min-w-0 break-words text-slate-900">{children}</dd>
    </div>
  );
}

function Group({ title, children }: { title: string; children: ReactNode }) {
  return (
    <div>
      <h3 className="text-xs font-semibold uppercase tracking-wide text-slate-500">{title}</h3>
      <dl className="mt-1 divide-y divide-slate-100 text-sm">{children}</dl>
    </div>
  );
}

function Endpoint({ e }: { e: EndpointView | null }) {
  if (!e) return <span className="text-slate-500">Not readable</span>;
  return (
    <div className="space-y-0.5">
      <div className="font-mono text-sm">{e.instanceId ?? `${e.host}:${e.port}`}</div>
      <div className="text-xs text-slate-500">
        {e.databaseType} · {e.accessMethod === 'cloud' ? 'Cloud Instance' : 'Self-managed Database'} · {e.mode === 'cluster' ? 'Cluster' : 'Standalone'}
        {e.instanceId ? ` · ${e.host}:${e.port}` : ''}
        {' · '}{e.authMethod === 'password-free' ? 'Password-free Logon' : `Password Logon${e.username ? ` as ${e.username}` : ''}${e.hasPassword ? '' : ' (no password stored)'}`}
        {' · '}{e.encryption}
      </div>
    </div>
  );
}

const yesNo = (b: boolean) => (b ? 'Yes' : 'No');

function throttle(t: { enabled: boolean; rps: number; mbps: number }): string {
  return t.enabled ? `Yes: ${t.rps.toLocaleString('en-US')} RPS, ${t.mbps} MB/s` : 'No';
}

export function TaskConfiguration({ config, instanceClass, instanceClassRate }: { config: TaskConfigView; instanceClass: string; instanceClassRate: string }) {
  const a = config.advanced;
  const v = config.verification;
  return (
    <div className="grid gap-8 p-5 lg:grid-cols-2">
      <Group title="Source and destination">
        <Item label="Source Database"><Endpoint e={config.source} /></Item>
        <Item label="Destination Database"><Endpoint e={config.target} /></Item>
        <Item label="Region">{config.regionLabel}</Item>
        <Item label="Read Method">
          {a.readMethod === 'scan'
            ? <>Scan mode: SCAN, DUMP and keyspace notifications; a dropped subscription, an overflowing queue or a FLUSHDB is healed by a re-scan, and a restart scans again (docs/scan-mode.md)</>
            : READ_METHOD_LABEL.replication}
        </Item>
      </Group>
      <Group title="Objects">
        <Item label="Synchronization Types">{config.syncTypesLabel}</Item>
        <Item label="Processing Mode of Conflicting Tables">{config.conflictModeLabel}</Item>
        <Item label="Selected Objects">
          {config.dbs.length === 0 ? 'None' : (
            <ul className="flex flex-wrap gap-1.5">
              {config.dbs.map((d) => (
                <li key={d.db} className="rounded bg-slate-100 px-1.5 py-0.5 font-mono text-xs">
                  {d.db === d.targetDb ? `DB ${d.db}` : `DB ${d.db} → DB ${d.targetDb}`}
                </li>
              ))}
            </ul>
          )}
        </Item>
        <Item label="Key prefixes included">{config.includePrefixes.length ? config.includePrefixes.join(', ') : 'All keys'}</Item>
        <Item label="Key prefixes excluded">{config.excludePrefixes.length ? config.excludePrefixes.join(', ') : 'None'}</Item>
      </Group>
      <Group title="Advanced settings">
        <Item label="Retry Time for Failed Connections">{a.retryConnectionMinutes} min</Item>
        <Item label="Retry Time for Other Issues">{a.retryOtherMinutes} min</Item>
        <Item label="Enable Throttling for Full Data Synchronization">{throttle(a.fullThrottle)}</Item>
        <Item label="Enable Throttling for Incremental Data Synchronization">{throttle(a.incrementalThrottle)}</Item>
        <Item label="Extend Expiration Time of Destination Database Key">{a.ttlExtensionSeconds} s</Item>
        <Item label="Use Slave Node">{yesNo(a.useSlaveNode)}</Item>
        <Item label="Write Method">{a.writeMethod === 'relay' ? 'Replication relay: the destination is a read-only replica of the source (through the engine) until the task ends' : 'Commands'}</Item>
        <Item label="Environment Tag">{a.environmentTag || 'None'}</Item>
        <Item label="Monitoring and Alerting">
          {a.monitoring.enabled ? `Yes: delay above ${a.monitoring.delayThresholdSeconds} s${a.monitoring.statusAlert ? ', status alerts' : ''}` : 'No'}
        </Item>
      </Group>
      <div className="space-y-8">
        <Group title="Data verification">
          <Item label="Full Data Verification">
            {v.full.enabled ? `${VERIFY_MODE_LABEL[v.full.mode]}, ${v.full.rounds} rounds, ${v.full.rateLimit.toLocaleString('en-US')} keys/s` : 'No'}
          </Item>
          <Item label="Incremental Data Verification">{yesNo(v.incremental.enabled)}</Item>
        </Group>
        <Group title="Purchase">
          <Item label="Instance Class">{instanceClass} <span className="text-slate-500">({instanceClassRate})</span></Item>
          <Item label="Billing Method">{config.billingMethod === 'PayAsYouGo' ? 'Pay-as-you-go' : config.billingMethod}</Item>
          <Item label="Resource Group">{config.resourceGroup}</Item>
        </Group>
      </div>
    </div>
  );
}
