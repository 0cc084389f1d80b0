import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Vitest global setup: one harness directory per run, reaped at the end even if tests crashed. */
export default async function setup(): Promise<() => Promise<void>> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'redis-dts-harness-'));
  process.env.DTS_HARNESS_ROOT = root;
  return async () => {
    const { reapAll } = await import('./redis-server');
    const killed = reapAll();
    if (killed > 0) console.warn(`harness: reaped ${killed} redis-server process(es) left running`);
    fs.rmSync(root, { recursive: true, force: true });
  };
}
