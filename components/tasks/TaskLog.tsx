'use client';
/** The task log, newest first; errors and warnings stand out and can be shown alone. */
import { useId, useState } from 'react';
import type { LogLevel, TaskLogEntry } from '@/lib/tasks/details';
import { formatTime } from './format';

const LEVEL: Record<LogLevel, { label: string; row: string; badge: string }> = {
  info: { label: 'Info', row: 'border-l-transparent', badge: 'bg-slate-100 text-slate-600' },
  warn: { label: 'Warning', row: 'border-l-amber-400 bg-amber-50/60', badge: 'bg-amber-100 text-amber-800' },
  error: { label: 'Error', row: 'border-l-red-500 bg-red-50', badge: 'bg-red-100 text-red-700' },
};

export function TaskLog({ logs }: { logs: TaskLogEntry[] }) {
  const [problemsOnly, setProblemsOnly] = useState(false);
  const toggleId = useId();
  const shown = problemsOnly ? logs.filter((l) => l.level !== 'info') : logs;
  const problems = logs.filter((l) => l.level !== 'info').length;
  return (
    <div>
      <div className="flex flex-wrap items-center justify-between gap-3 border-b border-slate-100 px-5 py-2.5 text-xs text-slate-500">
        <span>{logs.length === 0 ? 'No entries yet' : `Latest ${logs.length} entries, newest first (times in UTC)`}</span>
        <label htmlFor={toggleId} className="flex items-center gap-2 text-slate-700">
          <input id={toggleId} type="checkbox" checked={problemsOnly} onChange={(e) => setProblemsOnly(e.target.checked)}
            className="size-3.5 rounded border-slate-300 accent-brand-500" />
          Errors and warnings only ({problems})
        </label>
      </div>
      {shown.length === 0 ? (
        <p className="px-5 py-6 text-sm text-slate-500">{problemsOnly ? 'No errors or warnings.' : 'The task has not logged anything yet.'}</p>
      ) : (
        <ol aria-label="Task log entries" className="max-h-96 divide-y divide-slate-100 overflow-y-auto">
          {shown.map((l) => (
            <li key={l.id} className={`flex gap-3 border-l-4 px-4 py-2 text-sm ${LEVEL[l.level].row}`}>
              <time dateTime={l.at} className="shrink-0 pt-px font-mono text-xs text-slate-500">{formatTime(l.at)}</time>
              <span className={`h-fit shrink-0 rounded px-1.5 py-px text-[11px] font-semibold uppercase tracking-wide ${LEVEL[l.level].badge}`}>
                {LEVEL[l.level].label}
              </span>
              <span className={`min-w-0 break-words ${l.level === 'error' ? 'font-medium text-red-800' : 'text-slate-800'}`}>{l.message}</span>
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}
