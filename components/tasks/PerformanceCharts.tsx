'use client';
/** Performance over time from the task's history (lib/engine/metrics-history.ts): RPS, MB/s and synchronization delay. */
import { useId, useSyncExternalStore } from 'react';
import { Area, AreaChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { LiveSample } from '@/lib/tasks/details';
import { formatClock } from './format';

interface Point {
  at: number;
  rps: number;
  mbps: number;
  delay: number | null;
}

interface ChartSpec {
  key: 'rps' | 'mbps' | 'delay';
  title: string;
  unit: string;
  color: string;
  format: (v: number) => string;
}

const CHARTS: ChartSpec[] = [
  { key: 'rps', title: 'RPS', unit: 'records/s written to the destination', color: '#2563eb', format: (v) => Math.round(v).toLocaleString('en-US') },
  { key: 'mbps', title: 'MB/s', unit: 'read from the source: the snapshot, then the replication stream', color: '#0d9488', format: (v) => v.toFixed(v < 1 ? 3 : 2) },
  { key: 'delay', title: 'Synchronization delay (ms)', unit: 'heartbeat round trip through the stream', color: '#d97706', format: (v) => Math.round(v).toLocaleString('en-US') },
];

const noop = () => () => undefined;

/** False during server rendering and hydration, true after: the charts measure the browser's layout. */
function useMounted(): boolean {
  return useSyncExternalStore(noop, () => true, () => false);
}

export function PerformanceCharts({ samples }: { samples: LiveSample[] }) {
  const mounted = useMounted();
  const points: Point[] = samples.map((s) => ({ at: s.at, rps: s.rps, mbps: s.bytesPerSecond / (1024 * 1024), delay: s.delayMs }));
  const latest = points.at(-1);
  return (
    <div className="grid gap-4 lg:grid-cols-3">
      {CHARTS.map((c) => (
        <Chart key={c.key} spec={c} points={points} mounted={mounted} latest={latest ? latest[c.key] : null} />
      ))}
    </div>
  );
}

function Chart({ spec, points, mounted, latest }: { spec: ChartSpec; points: Point[]; mounted: boolean; latest: number | null }) {
  const id = useId();
  const gradient = `g${id.replace(/[^a-zA-Z0-9]/g, '')}`;
  const empty = points.length === 0;
  return (
    <figure aria-labelledby={`${id}-t`} className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
      <figcaption className="flex items-baseline justify-between gap-2">
        <span id={`${id}-t`} className="text-sm font-semibold text-slate-900">{spec.title}</span>
        <span className="text-lg font-semibold tabular-nums text-slate-900">
          <span className="sr-only">Now: </span>{latest === null ? '—' : spec.format(latest)}
        </span>
      </figcaption>
      <p className="text-xs text-slate-500">{spec.unit}</p>
      <div className="mt-3 h-40">
        {empty ? (
          <div className="grid h-full place-items-center rounded-md border border-dashed border-slate-200 text-center text-xs text-slate-500">
            No samples yet: the chart fills in while the engine runs the task.
          </div>
        ) : mounted ? (
          <ResponsiveContainer width="100%" height="100%">
            <AreaChart data={points} margin={{ top: 4, right: 8, bottom: 0, left: 0 }} accessibilityLayer>
              <defs>
                <linearGradient id={gradient} x1="0" y1="0" x2="0" y2="1">
                  <stop offset="0%" stopColor={spec.color} stopOpacity={0.25} />
                  <stop offset="100%" stopColor={spec.color} stopOpacity={0.02} />
                </linearGradient>
              </defs>
              <CartesianGrid stroke="#e2e8f0" strokeDasharray="3 3" vertical={false} />
              <XAxis dataKey="at" type="number" scale="time" domain={['dataMin', 'dataMax']} tickFormatter={formatClock}
                tick={{ fontSize: 10, fill: '#64748b' }} tickLine={false} axisLine={{ stroke: '#cbd5e1' }} minTickGap={40} />
              <YAxis tick={{ fontSize: 10, fill: '#64748b' }} tickLine={false} axisLine={false} width={52}
                tickFormatter={(v: number) => spec.format(v)} allowDecimals={spec.key === 'mbps'} />
              <Tooltip
                labelFormatter={(v) => `${formatClock(Number(v))} UTC`}
                formatter={(v) => [typeof v === 'number' ? spec.format(v) : '—', spec.title]}
                contentStyle={{ fontSize: 12, borderRadius: 6, borderColor: '#e2e8f0' }}
              />
              <Area type="monotone" dataKey={spec.key} stroke={spec.color} strokeWidth={1.75} fill={`url(#${gradient})`}
                isAnimationActive={false} connectNulls={false} dot={false} />
            </AreaChart>
          </ResponsiveContainer>
        ) : (
          <div className="h-full animate-pulse rounded-md bg-slate-100" />
        )}
      </div>
    </figure>
  );
}
