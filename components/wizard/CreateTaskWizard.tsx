'use client';
/**
 * The six-step Create Task wizard. Steps 1–4 edit a draft kept here (going back
 * keeps it); each "Next" asks the server to validate that step first. Step 4
 * saves the task (Not Started); steps 5 and 6 work on the saved task.
 */
import { useState, useTransition } from 'react';
import { Button, FormError, TextField } from '@/components/form/fields';
import type { Region } from '@/lib/catalog/regions';
import type { ConnectionOutcome, ServerSummary } from '@/lib/redis';
import type { TaskDraft } from '@/lib/tasks/draft';
import { withAdvanced } from '@/lib/tasks/options';
import {
  saveTaskAction, testConnectionsAction, validateAdvancedAction, validateObjectsAction,
} from '@/lib/tasks/wizard-actions';
import { AdvancedStep } from './AdvancedStep';
import { EndpointFieldset } from './EndpointFieldset';
import { ObjectsStep } from './ObjectsStep';
import { PrecheckStep } from './PrecheckStep';
import { PurchaseStep } from './PurchaseStep';
import { StepIndicator, WIZARD_STEPS } from './StepIndicator';
import type { FieldErrors, InstanceListItem } from './types';
import { VerificationStep } from './VerificationStep';
import { errorsUnder } from './types';

export type WizardStep = 0 | 1 | 2 | 3 | 4 | 5;

interface Props {
  /** Create Task, or Edit Task Settings of a saved task. */
  mode: 'create' | 'edit';
  initialDraft: TaskDraft;
  initialStep: WizardStep;
  instances: InstanceListItem[];
  regions: readonly Region[];
}

const NEXT_LABEL = ['Test Connection And Proceed', 'Next: Advanced Configurations', 'Next: Data Verification', 'Next: Save Task Settings and Precheck'] as const;

function sourceDbsOf(summary: ServerSummary | undefined, selected: TaskDraft['objects']['dbs']) {
  const count = summary?.databases ?? 16;
  const keys = new Map((summary?.keyspace ?? []).map((k) => [k.db, k.keys]));
  const dbs = new Set<number>([...Array.from({ length: count }, (_, i) => i), ...selected.map((s) => s.db)]);
  return [...dbs].sort((a, b) => a - b).map((db) => ({ db, keys: keys.get(db) ?? 0 }));
}

export function CreateTaskWizard({ mode, initialDraft, initialStep, instances, regions }: Props) {
  const [draft, setDraft] = useState<TaskDraft>(initialDraft);
  const [step, setStep] = useState<WizardStep>(initialStep);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [outcomes, setOutcomes] = useState<{ source?: ConnectionOutcome; target?: ConnectionOutcome }>({});
  const [servers, setServers] = useState<{ source?: ServerSummary; target?: ServerSummary }>({});
  const [freshSave, setFreshSave] = useState(false);
  const [pending, startTransition] = useTransition();

  function go(next: WizardStep) {
    setErrors({});
    setStep(next);
    window.scrollTo({ top: 0 });
  }

  function next() {
    startTransition(async () => {
      if (step === 0) {
        setOutcomes({});
        const r = await testConnectionsAction({ taskId: draft.taskId, region: draft.region, name: draft.name, source: draft.source, target: draft.target });
        if (r.ok) {
          setServers({ source: r.source, target: r.target });
          setOutcomes({ source: r.source, target: r.target });
          // Keep selections that still exist on this source; a cluster destination only has DB 0.
          const targetCluster = r.target.mode === 'cluster';
          // Nor can a cluster on either side be relayed (AdvancedStep does not offer it): Commands.
          const noRelay = targetCluster || r.source.mode === 'cluster';
          setDraft((d) => ({ ...d, objects: { ...d.objects, dbs: d.objects.dbs.map((m) => ({ ...m, targetDb: targetCluster ? 0 : m.targetDb })) },
            advanced: noRelay && d.advanced.writeMethod === 'relay' ? { ...d.advanced, writeMethod: 'commands' } : d.advanced }));
          go(1);
        } else {
          setErrors(r.errors);
          setOutcomes({ source: r.source, target: r.target });
        }
      } else if (step === 1) {
        const r = await validateObjectsAction({ syncTypes: draft.syncTypes, conflictMode: draft.conflictMode, objects: draft.objects });
        if (r.ok) go(2);
        else setErrors(r.errors);
      } else if (step === 2) {
        const r = await validateAdvancedAction(draft.advanced);
        if (r.ok) go(3);
        else setErrors(Object.fromEntries(Object.entries(r.errors).map(([k, v]) => [`advanced.${k}`, v])));
      } else if (step === 3) {
        const r = await saveTaskAction(draft);
        if (r.ok) {
          setDraft((d) => ({ ...d, taskId: r.taskId, source: { ...d.source, keepStoredPassword: d.source.keepStoredPassword || Boolean(d.source.password) },
            target: { ...d.target, keepStoredPassword: d.target.keepStoredPassword || Boolean(d.target.password) } }));
          window.history.replaceState(null, '', `/sync-tasks/${encodeURIComponent(r.taskId)}/edit?region=${encodeURIComponent(draft.region)}&step=precheck`);
          setFreshSave(true);
          go(4);
        } else {
          setErrors(r.errors);
          const first = Object.keys(r.errors)[0] ?? '';
          if (first.startsWith('source.') || first.startsWith('target.') || first === 'name') setStep(0);
          else if (first.startsWith('objects') || first === 'syncTypes' || first === 'conflictMode') setStep(1);
          else if (first.startsWith('advanced')) setStep(2);
        }
      }
    });
  }

  const title = mode === 'edit' ? 'Edit Task Settings' : 'Create Task';
  return (
    <div className="mx-auto max-w-6xl space-y-6">
      <div>
        <h1 className="text-xl font-semibold tracking-tight">{title}</h1>
        <p className="mt-1 text-sm text-slate-500">One-way data synchronization from a source Redis / Tair database to a destination.</p>
      </div>
      <StepIndicator current={step} />
      <h2 className="text-lg font-semibold text-slate-900">{step + 1}. {WIZARD_STEPS[step]}</h2>

      {step === 0 && (
        <div className="space-y-5">
          <div className="max-w-md rounded-lg border border-slate-200 bg-white p-5 shadow-sm">
            <TextField label="Task Name" value={draft.name} onChange={(name) => setDraft({ ...draft, name })} error={errors.name}
              hint="Generated for you; a descriptive name helps, and it need not be unique." />
          </div>
          <div className="grid gap-5 lg:grid-cols-2">
            <EndpointFieldset legend="Source Database" value={draft.source} onChange={(source) => setDraft({ ...draft, source })}
              errors={errorsUnder(errors, 'source')} instances={instances} regions={regions} outcome={outcomes.source} showCrossAccount />
            <EndpointFieldset legend="Destination Database" value={draft.target} onChange={(target) => setDraft({ ...draft, target })}
              errors={errorsUnder(errors, 'target')} instances={instances} regions={regions} outcome={outcomes.target} showCrossAccount />
          </div>
        </div>
      )}
      {step === 1 && (
        <ObjectsStep syncTypes={draft.syncTypes} conflictMode={draft.conflictMode} objects={draft.objects} errors={errors}
          sourceDbs={sourceDbsOf(servers.source, draft.objects.dbs)} targetIsCluster={servers.target?.mode === 'cluster' || draft.target.mode === 'cluster'}
          onChange={(patch) => setDraft({ ...draft, ...patch })} />
      )}
      {step === 2 && (
        <AdvancedStep value={draft.advanced} onChange={(advanced) => setDraft(withAdvanced(draft, advanced))} errors={errors}
          sourceIsCluster={draft.source.mode === 'cluster'} targetIsCluster={servers.target?.mode === 'cluster' || draft.target.mode === 'cluster'} />
      )}
      {step === 3 && (
        <VerificationStep value={draft.verification} onChange={(verification) => setDraft({ ...draft, verification })} errors={errors} />
      )}
      {step <= 3 && (
        <>
          <FormError message={errors._} />
          <div className="flex items-center justify-between border-t border-slate-200 pt-4">
            {step > 0 ? <Button variant="secondary" onClick={() => go((step - 1) as WizardStep)} disabled={pending}>Previous</Button>
              : <a href={`/sync-tasks?region=${encodeURIComponent(draft.region)}`} className="text-sm text-slate-600 hover:underline">Cancel</a>}
            <Button onClick={next} disabled={pending} aria-busy={pending}>
              {pending && <span aria-hidden className="size-3 animate-spin rounded-full border-2 border-white/40 border-t-white" />}
              {NEXT_LABEL[step as 0 | 1 | 2 | 3]}
            </Button>
          </div>
        </>
      )}
      {step === 4 && draft.taskId && (
        <PrecheckStep taskId={draft.taskId} startOnMount={freshSave} onBack={() => go(3)} onNext={() => go(5)} />
      )}
      {step === 5 && draft.taskId && <PurchaseStep taskId={draft.taskId} onBack={() => go(4)} />}
    </div>
  );
}
