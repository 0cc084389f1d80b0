/** A full-width progress bar with its percentage; named for assistive technology. */
export function Meter({ value, label, tone = 'brand' }: { value: number; label: string; tone?: 'brand' | 'ok' | 'muted' }) {
  const pct = Math.max(0, Math.min(100, Number.isFinite(value) ? value : 0));
  const bar = tone === 'ok' ? 'bg-emerald-500' : tone === 'muted' ? 'bg-slate-400' : 'bg-brand-500';
  return (
    <div className="flex items-center gap-3">
      <div role="progressbar" aria-label={label} aria-valuenow={Math.floor(pct)} aria-valuemin={0} aria-valuemax={100}
        aria-valuetext={`${Math.floor(pct)}%`} className="h-2 flex-1 overflow-hidden rounded-full bg-slate-200">
        <div className={`h-full rounded-full transition-[width] duration-500 ${bar}`} style={{ width: `${pct}%` }} />
      </div>
      <span className="w-11 text-right text-sm font-semibold tabular-nums text-slate-900">{Math.floor(pct)}%</span>
    </div>
  );
}
