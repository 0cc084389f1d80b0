/** Display formats of the task pages (timestamps in UTC so server and browser render the same text). */

export function formatDelay(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'];

export function formatBytes(n: number): string {
  let v = n;
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(v < 10 ? 2 : 1)} ${UNITS[u]}`;
}

/** A duration as `3 h 12 min` (or `12 min`, `45 s`). */
export function formatDuration(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  if (minutes === 0) return `${Math.floor(ms / 1000)} s`;
  const h = Math.floor(minutes / 60);
  return h === 0 ? `${minutes} min` : `${h} h ${minutes % 60} min`;
}

/** `2025-01-31 12:34:56` (UTC). */
export function formatTime(isoTime: string | null | undefined): string {
  if (!isoTime) return '—';
  return isoTime.slice(0, 19).replace('T', ' ');
}

/** `12:34:56` (UTC), for chart axes. */
export function formatClock(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}
