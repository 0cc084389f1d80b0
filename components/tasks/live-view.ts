/** How the details page's cached view takes each server-sent event of `/api/tasks/[id]/events`. */
import type { LiveSample, TaskLiveView, TaskStreamEvent } from '@/lib/tasks/details';
import { compactHistory } from '@/lib/engine/metrics-history';
import type { TaskStatus } from '@/lib/tasks/status';

export const LOG_LIMIT = 200;

export const STREAM_EVENTS = ['snapshot', 'state', 'logs', 'sample'] as const satisfies readonly TaskStreamEvent['type'][];

export function applyTaskEvent(view: TaskLiveView | undefined, event: TaskStreamEvent): TaskLiveView | undefined {
  if (event.type === 'snapshot') return event.data;
  if (!view) return view;
  switch (event.type) {
    case 'state':
      return { ...view, state: event.data };
    case 'logs': {
      const known = new Set(view.logs.map((l) => l.id));
      const fresh = event.data.filter((l) => !known.has(l.id));
      return fresh.length ? { ...view, logs: [...fresh, ...view.logs].slice(0, LOG_LIMIT) } : view;
    }
    case 'sample': {
      const last = view.samples.at(-1);
      if (last && event.data.at <= last.at) return view;
      // The server's retention, applied as the view grows: the same points as a reload would give.
      return { ...view, samples: compactHistory([...view.samples, event.data]) };
    }
  }
}

const ENGINE_ACTIVE: readonly TaskStatus[] = ['Initializing', 'FullMigration', 'Running', 'Paused', 'Retrying'];

/** The latest sample while the task has an engine (after it stops, the last sample no longer describes it). */
export function activeSample(view: TaskLiveView): LiveSample | undefined {
  return ENGINE_ACTIVE.includes(view.state.status) ? view.samples.at(-1) : undefined;
}
