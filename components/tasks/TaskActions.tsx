'use client';
/**
 * The actions of one task, on a list row or in the details header: View Details,
 * Start / Pause, End and Release (each confirmed in a dialog that says what
 * happens), Edit Task Settings, Upgrade Instance Class and Clone. Only the actions
 * the task's state allows are offered; the server checks again and answers in words.
 */
import Link from 'next/link';
import { useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { useCan } from '@/components/auth/AbilityProvider';
import { Button, buttonClass, type ButtonVariant } from '@/components/ui/Button';
import { Dialog } from '@/components/ui/Dialog';
import { LINK_SPECS, maxRpsLabel } from '@/lib/catalog/link-specs';
import {
  cloneTaskAction, performTaskAction, upgradeInstanceClassAction, type EngineAction, type TaskActionResult,
} from '@/lib/tasks/actions';
import type { TaskControl } from '@/lib/tasks/queries';
import { STATUS_LABEL, type TaskStatus } from '@/lib/tasks/status';

export interface TaskActionTarget {
  id: string;
  name: string;
  region: string;
  status: TaskStatus;
  instanceClass: string;
  controls: TaskControl[];
  upgradeTargets: string[];
}

export interface TaskNotice {
  tone: 'ok' | 'error';
  text: string;
  href?: string;
  linkText?: string;
}

type Pending = TaskControl | null;
type Confirm = 'end' | 'release' | 'upgrade' | null;

interface Props {
  task: TaskActionTarget;
  variant: 'row' | 'toolbar';
  /** A message for the page (Clone's result). */
  onNotice?: (notice: TaskNotice) => void;
  /** After Clone succeeded (the details page opens the copy). */
  onCloned?: (taskId: string) => void;
  /** After Release succeeded (the details page goes back to the list). */
  onReleased?: () => void;
}

const PENDING_LABEL: Record<TaskControl, string> = {
  start: 'Starting…', pause: 'Pausing…', end: 'Ending…', release: 'Releasing…', clone: 'Cloning…', edit: '', upgrade: 'Upgrading…',
};

export function detailsHref(task: { id: string; region: string }): string {
  return `/sync-tasks/${encodeURIComponent(task.id)}?region=${encodeURIComponent(task.region)}`;
}

export function TaskActions({ task, variant, onNotice, onCloned, onReleased }: Props) {
  const queryClient = useQueryClient();
  const [pending, setPending] = useState<Pending>(null);
  const [confirm, setConfirm] = useState<Confirm>(null);
  const [error, setError] = useState<string | null>(null);
  const [dialogError, setDialogError] = useState<string | null>(null);
  const [upgradeTo, setUpgradeTo] = useState<string>(task.upgradeTargets[0] ?? '');
  const selectId = useId();
  const mayOperate = useCan('operate'); // a viewer sees View Details only; the server refuses the rest anyway
  const has = (c: TaskControl) => mayOperate && task.controls.includes(c);
  const row = variant === 'row';

  async function refresh() {
    await Promise.all([
      queryClient.invalidateQueries({ queryKey: ['tasks'] }),
      queryClient.invalidateQueries({ queryKey: ['task', task.id] }),
    ]);
  }

  async function run(control: TaskControl, call: () => Promise<TaskActionResult>, inDialog: boolean): Promise<boolean> {
    setPending(control);
    setError(null);
    setDialogError(null);
    try {
      const r = await call();
      if (!r.ok) {
        if (inDialog) setDialogError(r.message);
        else setError(r.message);
        return false;
      }
      return true;
    } catch (err) {
      const message = `The request did not reach the console: ${err instanceof Error ? err.message : String(err)}`;
      if (inDialog) setDialogError(message);
      else setError(message);
      return false;
    } finally {
      setPending(null);
      await refresh();
    }
  }

  const engine = (action: EngineAction, inDialog = false) => run(action, () => performTaskAction(task.id, action), inDialog);

  async function confirmEnd() {
    if (await engine('end', true)) setConfirm(null);
  }

  async function confirmRelease() {
    if (await engine('release', true)) {
      setConfirm(null);
      onReleased?.();
    }
  }

  async function confirmUpgrade() {
    if (await run('upgrade', () => upgradeInstanceClassAction(task.id, upgradeTo), true)) {
      setConfirm(null);
      onNotice?.({ tone: 'ok', text: `${task.name}: instance class upgraded to ${upgradeTo}.${task.status === 'Failed' ? ' It applies when the task starts again.' : ' The engine applies it now.'}` });
    }
  }

  async function clone() {
    setPending('clone');
    setError(null);
    try {
      const r = await cloneTaskAction(task.id);
      if (!r.ok) {
        setError(r.message);
        return;
      }
      onNotice?.({
        tone: 'ok', text: `Created ${r.name} (${r.taskId}), Not Started with the same settings. Run its precheck before starting it.`,
        href: detailsHref({ id: r.taskId, region: task.region }), linkText: `View ${r.name}`,
      });
      onCloned?.(r.taskId);
    } catch (err) {
      setError(`The request did not reach the console: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      setPending(null);
      await refresh();
    }
  }

  const busy = pending !== null;
  const v = (toolbarVariant: ButtonVariant, rowVariant: ButtonVariant = 'link'): ButtonVariant => (row ? rowVariant : toolbarVariant);
  const size = row ? 'sm' : 'md';
  const label = (c: TaskControl, text: string) => (pending === c ? PENDING_LABEL[c] : text);

  return (
    <div className={row ? 'max-w-60' : ''}>
      <div role="group" aria-label={`Actions of ${task.name}`}
        className={row ? 'flex flex-wrap items-center gap-x-2.5 gap-y-0.5' : 'flex flex-wrap items-center justify-end gap-2'}>
        {row && (
          <Link href={detailsHref(task)} className={buttonClass('link', 'sm')}>View Details</Link>
        )}
        {has('start') && (
          <Button variant={v('primary')} size={size} busy={pending === 'start'} disabled={busy} aria-label="Start"
            onClick={() => void engine('start')}>{label('start', 'Start')}</Button>
        )}
        {has('pause') && (
          <Button variant={v('secondary')} size={size} busy={pending === 'pause'} disabled={busy} aria-label="Pause"
            onClick={() => void engine('pause')}>{label('pause', 'Pause')}</Button>
        )}
        {has('edit') && (
          <Link href={`/sync-tasks/${encodeURIComponent(task.id)}/edit?region=${encodeURIComponent(task.region)}`}
            className={buttonClass(v('secondary'), size)}>Edit Task Settings</Link>
        )}
        {has('upgrade') && (
          <Button variant={v('secondary')} size={size} disabled={busy} onClick={() => {
            setUpgradeTo(task.upgradeTargets[0] ?? '');
            setDialogError(null);
            setConfirm('upgrade');
          }}>Upgrade Instance Class</Button>
        )}
        {has('clone') && (
          <Button variant={v('secondary')} size={size} busy={pending === 'clone'} disabled={busy} aria-label="Clone"
            onClick={() => void clone()}>{label('clone', 'Clone')}</Button>
        )}
        {has('end') && (
          <Button variant={v('danger-secondary', 'link-danger')} size={size} disabled={busy} aria-label="End"
            onClick={() => {
              setDialogError(null);
              setConfirm('end');
            }}>End</Button>
        )}
        {has('release') && (
          <Button variant={v('danger-secondary', 'link-danger')} size={size} disabled={busy} aria-label="Release"
            onClick={() => {
              setDialogError(null);
              setConfirm('release');
            }}>Release</Button>
        )}
      </div>
      {error && (
        <div role="alert" className={`mt-1.5 flex items-start gap-2 rounded-md bg-red-50 px-2.5 py-1.5 text-xs text-red-700 ring-1 ring-inset ring-red-200 ${row ? '' : 'ml-auto max-w-md'}`}>
          <span className="flex-1">{error}</span>
          <button type="button" className="font-medium underline" onClick={() => setError(null)}>Dismiss</button>
        </div>
      )}

      <Dialog open={confirm === 'end'} onClose={() => !busy && setConfirm(null)} tone="danger" title={`End the task ${task.name}?`}
        footer={<>
          <Button onClick={() => setConfirm(null)} disabled={busy}>Cancel</Button>
          <Button variant="danger" busy={pending === 'end'} onClick={() => void confirmEnd()}>{label('end', 'End Task')}</Button>
        </>}>
        <p>End stops the synchronization cleanly: the engine writes everything it has already read from the source to the destination, then stops.</p>
        <ul className="list-disc space-y-1 pl-5">
          <li>The heartbeat key <code className="rounded bg-slate-100 px-1 text-xs">DTS_REDIS_TIMESTAMP_HEARTBEAT_{task.id}</code> is deleted from the source.</li>
          <li>The task record, its offsets and its log are kept; the status becomes Ended.</li>
          <li>An ended task cannot be started again. To synchronize again, Clone it.</li>
        </ul>
        {dialogError && <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-red-700 ring-1 ring-inset ring-red-200">{dialogError}</p>}
      </Dialog>

      <Dialog open={confirm === 'release'} onClose={() => !busy && setConfirm(null)} tone="danger" title={`Release the task ${task.name}?`}
        footer={<>
          <Button onClick={() => setConfirm(null)} disabled={busy}>Cancel</Button>
          <Button variant="danger" busy={pending === 'release'} onClick={() => void confirmRelease()}>{label('release', 'Release Task')}</Button>
        </>}>
        <p>Release frees the resources of this {STATUS_LABEL[task.status]} task and removes it from the task list. This cannot be undone.</p>
        <ul className="list-disc space-y-1 pl-5">
          <li>Its engine process stops (ending the task first if it still holds the replication link) and the stream spooled on disk is deleted.</li>
          <li>The heartbeat key is deleted from the source if it is still there.</li>
          <li>Data already written to the destination stays where it is.</li>
        </ul>
        {dialogError && <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-red-700 ring-1 ring-inset ring-red-200">{dialogError}</p>}
      </Dialog>

      <Dialog open={confirm === 'upgrade'} onClose={() => !busy && setConfirm(null)} title={`Upgrade the instance class of ${task.name}`}
        footer={<>
          <Button onClick={() => setConfirm(null)} disabled={busy}>Cancel</Button>
          <Button variant="primary" busy={pending === 'upgrade'} disabled={!upgradeTo} onClick={() => void confirmUpgrade()}>{label('upgrade', 'Upgrade')}</Button>
        </>}>
        <p>
          The current class is <strong className="font-semibold text-slate-900">{task.instanceClass}</strong>
          {' '}({maxRpsLabel(LINK_SPECS.find((s) => s.id === task.instanceClass)?.maxRps ?? null)}).
        </p>
        <div className="space-y-1.5">
          <label htmlFor={selectId} className="block text-sm font-medium text-slate-700">Instance Class</label>
          <select id={selectId} value={upgradeTo} onChange={(e) => setUpgradeTo(e.target.value)}
            className="block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm text-slate-900 shadow-sm focus:border-brand-500 focus:outline-none focus:ring-2 focus:ring-brand-500/20">
            {task.upgradeTargets.map((id) => {
              const spec = LINK_SPECS.find((s) => s.id === id);
              return <option key={id} value={id}>{id} — {maxRpsLabel(spec?.maxRps ?? null)}</option>;
            })}
          </select>
        </div>
        <p className="text-xs text-slate-500">
          A running or paused task&apos;s engine takes the new rate at once; a failed task takes it when it starts again.
        </p>
        {dialogError && <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-red-700 ring-1 ring-inset ring-red-200">{dialogError}</p>}
      </Dialog>
    </div>
  );
}
