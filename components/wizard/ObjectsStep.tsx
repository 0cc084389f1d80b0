'use client';
import { RadioGroupField, TextField } from '@/components/form/fields';
import { CONFLICT_MODE_LABEL, CONFLICT_MODES, SYNC_TYPE_LABEL, SYNC_TYPES, type ConflictMode, type SyncType, type TaskObjects } from '@/lib/tasks/options';
import { TransferList, type SourceDb } from './TransferList';
import type { FieldErrors } from './types';

interface Props {
  syncTypes: SyncType;
  conflictMode: ConflictMode;
  objects: TaskObjects;
  onChange: (patch: { syncTypes?: SyncType; conflictMode?: ConflictMode; objects?: TaskObjects }) => void;
  sourceDbs: SourceDb[];
  targetIsCluster: boolean;
  errors: FieldErrors;
}

const splitLines = (text: string) => text.split(/[\n,]/).map((s) => s.trim()).filter(Boolean);

export function ObjectsStep({ syncTypes, conflictMode, objects, onChange, sourceDbs, targetIsCluster, errors }: Props) {
  const dbError = errors['objects.dbs'] ?? Object.entries(errors).find(([k]) => k.startsWith('objects.dbs.'))?.[1];
  return (
    <div className="space-y-6">
      <section className="space-y-5 rounded-lg border border-slate-200 bg-white p-5 shadow-sm">
        <RadioGroupField legend="Synchronization Types" name="syncTypes" value={syncTypes} onChange={(v) => onChange({ syncTypes: v })}
          options={SYNC_TYPES.map((s) => ({ value: s, label: SYNC_TYPE_LABEL[s], description: s === 'full+incremental' ? 'Default: copy every key, then every write in real time.' : s === 'full' ? 'Copy every key once; the task is Completed when done.' : 'Only writes made after the task starts.' }))}
          layout="column" />
        <RadioGroupField legend="Processing Mode of Conflicting Tables" name="conflictMode" value={conflictMode} onChange={(v) => onChange({ conflictMode: v })}
          layout="column"
          options={CONFLICT_MODES.map((c) => ({ value: c, label: CONFLICT_MODE_LABEL[c], description: c === 'block'
            ? 'Default. The precheck fails if a selected destination DB already holds keys.'
            : 'Skips the Destination Object Data Existence Check; same-name keys are overwritten.' }))} />
      </section>
      <section aria-labelledby="objects-heading" className="space-y-3 rounded-lg border border-slate-200 bg-white p-5 shadow-sm">
        <div>
          <h3 id="objects-heading" className="text-sm font-semibold text-slate-900">Source Objects and Selected Objects</h3>
          <p className="text-xs text-slate-500">Objects are chosen per database (DB 0 to DB 255), with the number of keys each holds now.</p>
        </div>
        <TransferList available={sourceDbs} selected={objects.dbs} maxTargetDb={targetIsCluster ? 0 : 255} error={dbError}
          onChange={(dbs) => onChange({ objects: { ...objects, dbs } })} />
      </section>
      <section aria-labelledby="prefix-heading" className="space-y-3 rounded-lg border border-slate-200 bg-white p-5 shadow-sm">
        <div>
          <h3 id="prefix-heading" className="text-sm font-semibold text-slate-900">Key prefix filter (optional)</h3>
          <p className="text-xs text-slate-500">Comma- or line-separated. Empty include list: every key of the selected DBs.</p>
        </div>
        <div className="grid gap-4 sm:grid-cols-2">
          <TextField label="Include keys with prefix" value={objects.keyPrefixes.include.join(', ')} placeholder="user:, order:"
            error={errors['objects.keyPrefixes.include']}
            onChange={(v) => onChange({ objects: { ...objects, keyPrefixes: { ...objects.keyPrefixes, include: splitLines(v) } } })} />
          <TextField label="Exclude keys with prefix" value={objects.keyPrefixes.exclude.join(', ')} placeholder="tmp:, cache:"
            error={errors['objects.keyPrefixes.exclude']}
            onChange={(v) => onChange({ objects: { ...objects, keyPrefixes: { ...objects.keyPrefixes, exclude: splitLines(v) } } })} />
        </div>
      </section>
    </div>
  );
}
