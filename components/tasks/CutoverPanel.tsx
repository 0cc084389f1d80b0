'use client';
/**
 * Cut Over (task details, a Running task): the delay now, a threshold, an optional write
 * pause on the source with its hard limit; the button runs lib/engine/cutover.ts through
 * its server action. Afterwards the recorded statement: which offsets the destination held.
 */
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { useCan } from '@/components/auth/AbilityProvider';
import { Button } from '@/components/ui/Button';
import { Panel } from '@/components/ui/Panel';
import { cutoverTaskAction } from '@/lib/tasks/actions';
import type { TaskLiveState } from '@/lib/tasks/details';
import { formatDelay } from './format';

export function CutoverPanel({ state, delayMs }: { state: TaskLiveState; delayMs: number | null }) {
  const router = useRouter();
  const canOperate = useCan('operate');
  const [maxLag, setMaxLag] = useState(5);
  const [pause, setPause] = useState(false);
  const [pauseMs, setPauseMs] = useState(10_000);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  if (state.cutover) {
    return (
      <Panel title="Cut Over" description="The switch to the destination, and what was proven at that moment.">
        <p role="status" className="text-sm text-emerald-800">{state.cutover.statement}</p>
        {state.cutover.writesPaused && <p className="mt-1 text-xs text-slate-500">Writes on the source were paused for {state.cutover.pausedMs} ms.</p>}
      </Panel>
    );
  }
  if (state.status !== 'Running' || !canOperate) return null;
  const tooHigh = delayMs === null || delayMs > maxLag * 1000;
  async function run() {
    setBusy(true);
    setError(null);
    const r = await cutoverTaskAction(state.id, { maxLagSeconds: maxLag, pauseWrites: pause, pauseLimitMs: pauseMs });
    setBusy(false);
    if (!r.ok) setError(r.message);
    router.refresh();
  }
  return (
    <Panel title="Cut Over" description="Switch traffic to the destination once it holds every write: it is checked, recorded, and the task ends.">
      <div className="flex flex-wrap items-end gap-4 text-sm">
        <p>Delay now: <strong className="tabular-nums">{formatDelay(delayMs)}</strong></p>
        <label className="flex items-center gap-2">Refuse above
          <input type="number" min={0} max={3600} value={maxLag} onChange={(e) => setMaxLag(Number(e.target.value))} aria-label="Delay threshold (seconds)"
            className="w-20 rounded-md border border-slate-300 px-2 py-1" /> s
        </label>
        <label className="flex items-center gap-2">
          <input type="checkbox" checked={pause} onChange={(e) => setPause(e.target.checked)} /> Pause writes on the source (CLIENT PAUSE WRITE)
        </label>
        {pause && (
          <label className="flex items-center gap-2">at most
            <input type="number" min={1000} max={60000} step={1000} value={pauseMs} onChange={(e) => setPauseMs(Number(e.target.value))} aria-label="Pause limit (ms)"
              className="w-24 rounded-md border border-slate-300 px-2 py-1" /> ms
          </label>
        )}
        <Button variant="primary" busy={busy} disabled={tooHigh} onClick={run} title={tooHigh ? 'The delay is above the threshold (or not known yet)' : undefined}>Cut Over</Button>
      </div>
      {error && <p role="alert" className="mt-3 rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">{error}</p>}
    </Panel>
  );
}
