import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Vitest global setup: one harness directory per run, reaped at the end even if tests crashed;
 * and the compatibility suite's servers fetched from Debian (scripts/fetch-servers.mjs, cached
 * under DTS_SERVERS_DIR, so a no-op after the first run). A fetch that fails fails only the tests
 * that need those servers, with its reason (DTS_SERVERS_ERROR).
 */
export default async function setup(): Promise<() => Promise<void>> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'redis-dts-harness-'));
  process.env.DTS_HARNESS_ROOT = root;
  const script = path.resolve(import.meta.dirname, '../../scripts/fetch-servers.mjs');
  const fetched = spawnSync(process.execPath, [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 });
  if (fetched.status !== 0) {
    const why = (fetched.stderr || fetched.error?.message || `exit ${fetched.status}`).trim();
    process.env.DTS_SERVERS_ERROR = why.split('\n').slice(-6).join(' | ');
    console.warn(`harness: fetching the compatibility suite's servers failed:\n${why}`);
  } else if (fetched.stderr.trim()) {
    console.log(fetched.stderr.trim());
  }
  // The extra versions (Redis 8.6, Valkey 8.0): their pairs are skipped when they cannot be fetched.
  const extras = spawnSync(process.execPath, [script, 'redis-8.6', 'valkey-8.0'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 });
  if (extras.status !== 0) console.warn(`harness: the extra servers could not all be fetched (their pairs are skipped):\n${extras.stderr.trim()}`);
  else if (extras.stderr.trim()) console.log(extras.stderr.trim());
  return async () => {
    const { reapAll } = await import('./redis-server');
    const killed = reapAll();
    if (killed > 0) console.warn(`harness: reaped ${killed} redis-server process(es) left running`);
    fs.rmSync(root, { recursive: true, force: true });
  };
}
