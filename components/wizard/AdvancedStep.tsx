'use client';
import { CheckboxField, NumberField, RadioGroupField, TextField, YesNoField } from '@/components/form/fields';
import { clusterRelayRefusal } from '@/engine/relay/cluster-refusal';
import { READ_METHOD_LABEL, READ_METHODS, type AdvancedSettings } from '@/lib/tasks/options';
import type { FieldErrors } from './types';

interface Props {
  value: AdvancedSettings;
  onChange: (next: AdvancedSettings) => void;
  errors: FieldErrors;
  sourceIsCluster: boolean;
  targetIsCluster: boolean;
}

function Section({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <section className="space-y-4 rounded-lg border border-slate-200 bg-white p-5 shadow-sm">
      <h3 className="text-sm font-semibold text-slate-900">{title}</h3>
      {children}
    </section>
  );
}

export function AdvancedStep({ value, onChange, errors, sourceIsCluster, targetIsCluster }: Props) {
  const set = <K extends keyof AdvancedSettings>(k: K, v: AdvancedSettings[K]) => onChange({ ...value, [k]: v });
  const e = (k: string) => errors[`advanced.${k}`];
  // A cluster cannot be relayed (a cluster node refuses REPLICAOF): the choice is not offered.
  const noRelay = clusterRelayRefusal(sourceIsCluster, targetIsCluster);
  return (
    <div className="space-y-6">
      <Section title="Source">
        <RadioGroupField legend="Read Method" name="readMethod" value={value.readMethod} onChange={(v) => set('readMethod', v)} layout="column"
          options={READ_METHODS.map((m) => ({ value: m, label: READ_METHOD_LABEL[m], description: m === 'replication'
            ? 'Default. Reads the source as a replica: an exact snapshot, then every write, resumable after a break.'
            : 'For sources that refuse PSYNC/SYNC (managed services): keys by SCAN and DUMP, changes by keyspace notifications; '
              + 'gaps (a dropped subscription, FLUSHDB) are healed by a re-scan, and a restart scans again.' }))}
          hint={sourceIsCluster ? 'A cluster source is scanned master by master, each with its own notifications.' : undefined} />
      </Section>
      <Section title="Retries">
        <div className="grid gap-4 sm:grid-cols-2">
          <NumberField label="Retry Time for Failed Connections" unit="minutes" min={10} max={1440} value={value.retryConnectionMinutes}
            onChange={(v) => set('retryConnectionMinutes', v)} error={e('retryConnectionMinutes')}
            hint="10–1440, default 720. Reconnecting within this time resumes the task; otherwise it fails." />
          <NumberField label="Retry Time for Other Issues" unit="minutes" min={1} max={1440} value={value.retryOtherMinutes}
            onChange={(v) => set('retryOtherMinutes', v)} error={e('retryOtherMinutes')}
            hint="1–1440, default 10; must be smaller than the time above." />
        </div>
      </Section>
      <Section title="Throttling">
        <YesNoField legend="Enable Throttling for Full Data Synchronization" name="fullThrottle" value={value.fullThrottle.enabled}
          onChange={(v) => set('fullThrottle', { ...value.fullThrottle, enabled: v })} hint="Default No." />
        {value.fullThrottle.enabled && (
          <div className="grid gap-4 sm:grid-cols-2">
            <NumberField label="Full synchronization RPS limit" unit="RPS" min={1} value={value.fullThrottle.rps} error={e('fullThrottle.rps')}
              onChange={(v) => set('fullThrottle', { ...value.fullThrottle, rps: v })} />
            <NumberField label="Full synchronization bandwidth limit" unit="MB/s" min={1} value={value.fullThrottle.mbps} error={e('fullThrottle.mbps')}
              onChange={(v) => set('fullThrottle', { ...value.fullThrottle, mbps: v })} />
          </div>
        )}
        <YesNoField legend="Enable Throttling for Incremental Data Synchronization" name="incrementalThrottle" value={value.incrementalThrottle.enabled}
          onChange={(v) => set('incrementalThrottle', { ...value.incrementalThrottle, enabled: v })} hint="Default No." />
        {value.incrementalThrottle.enabled && (
          <div className="grid gap-4 sm:grid-cols-2">
            <NumberField label="Incremental synchronization RPS limit" unit="RPS" min={1} value={value.incrementalThrottle.rps} error={e('incrementalThrottle.rps')}
              onChange={(v) => set('incrementalThrottle', { ...value.incrementalThrottle, rps: v })} />
            <NumberField label="Incremental synchronization bandwidth limit" unit="MB/s" min={1} value={value.incrementalThrottle.mbps} error={e('incrementalThrottle.mbps')}
              onChange={(v) => set('incrementalThrottle', { ...value.incrementalThrottle, mbps: v })} />
          </div>
        )}
      </Section>
      <Section title="Write Method">
        <RadioGroupField legend="Write Method" name="writeMethod" value={noRelay ? 'commands' : value.writeMethod} layout="column" onChange={(v) => set('writeMethod', v)}
          error={e('writeMethod')}
          options={[
            { value: 'commands', label: 'Commands', description: 'The engine writes the destination as a client. Filters, DB mapping and older destinations all work. Default.' },
            { value: 'relay', label: 'Replication relay', disabled: Boolean(noRelay), description: noRelay
              ? `Not available: ${noRelay.reason}`
              : 'The destination replicates the source through the engine, as fast as a native replica. Standalone only, every DB as it is, no filters (throttling applies); the destination is read-only until the task ends.' },
          ]}
          hint="The precheck says whether relaying is possible for this pair (docs/relay.md)." />
      </Section>
      <Section title="Keys and nodes">
        <NumberField label="Extend Expiration Time of Destination Database Key" unit="seconds" min={0} value={value.ttlExtensionSeconds}
          onChange={(v) => set('ttlExtensionSeconds', v)} error={e('ttlExtensionSeconds')}
          hint="Default 0 s. Seconds added to every TTL written to the destination (verification subtracts it); keys already expired are not migrated." />
        <YesNoField legend="Use Slave Node" name="useSlaveNode" value={value.useSlaveNode} onChange={(v) => set('useSlaveNode', v)} disabled={!sourceIsCluster}
          hint={sourceIsCluster ? 'Read from the replicas of the cluster source. Default No.' : 'Only for cluster sources. Default No.'} />
        <TextField label="Environment Tag" value={value.environmentTag} onChange={(v) => set('environmentTag', v)} error={e('environmentTag')}
          placeholder="e.g. production" hint="A free label; default none." />
      </Section>
      <Section title="Monitoring and Alerting">
        <YesNoField legend="Monitoring and Alerting" name="monitoring" value={value.monitoring.enabled}
          onChange={(v) => set('monitoring', { ...value.monitoring, enabled: v })} hint="Default No." />
        {value.monitoring.enabled && (
          <div className="grid gap-4 sm:grid-cols-2">
            <NumberField label="Latency threshold" unit="seconds" min={1} value={value.monitoring.delayThresholdSeconds} error={e('monitoring.delayThresholdSeconds')}
              onChange={(v) => set('monitoring', { ...value.monitoring, delayThresholdSeconds: v })} />
            <CheckboxField label="Alert when the task status becomes abnormal" checked={value.monitoring.statusAlert}
              onChange={(v) => set('monitoring', { ...value.monitoring, statusAlert: v })} />
          </div>
        )}
      </Section>
    </div>
  );
}
