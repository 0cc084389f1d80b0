export const WIZARD_STEPS = [
  'Configure Source and Destination Databases',
  'Configure Objects',
  'Advanced Settings',
  'Data Verification',
  'Precheck',
  'Purchase',
] as const;

export function StepIndicator({ current }: { current: number }) {
  return (
    <nav aria-label="Create Task steps">
      <ol className="grid grid-cols-2 gap-2 sm:grid-cols-3 lg:grid-cols-6">
        {WIZARD_STEPS.map((label, i) => {
          const state = i < current ? 'done' : i === current ? 'current' : 'todo';
          return (
            <li key={label} aria-current={state === 'current' ? 'step' : undefined}
              className={`flex items-center gap-2 rounded-md border px-3 py-2 text-xs ${
                state === 'current' ? 'border-brand-500 bg-brand-50 text-brand-700' : state === 'done' ? 'border-emerald-200 bg-emerald-50 text-emerald-800' : 'border-slate-200 bg-white text-slate-500'}`}>
              <span aria-hidden className={`grid size-5 shrink-0 place-items-center rounded-full text-[11px] font-semibold ${
                state === 'current' ? 'bg-brand-500 text-white' : state === 'done' ? 'bg-emerald-600 text-white' : 'bg-slate-200 text-slate-600'}`}>
                {state === 'done' ? '✓' : i + 1}
              </span>
              <span className="font-medium leading-tight">
                <span className="sr-only">Step {i + 1}{state === 'done' ? ' (done)' : ''}: </span>{label}
              </span>
            </li>
          );
        })}
      </ol>
    </nav>
  );
}
