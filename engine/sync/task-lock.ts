/**
 * One engine per task (per source shard) on this host. Two engines applying the
 * same stream to the same destination would each apply what the other did: when
 * a console is killed, the engine it started notices only when its IPC channel
 * closes and then finishes its writes, while the restarted console starts a new
 * engine for the task. The new one waits for the old one here.
 *
 * A lock file beside the task's spool holds the owner's PID; a file whose
 * process is gone (kill -9) is taken over.
 */
import fs from 'node:fs';
import path from 'node:path';
import { SyncError } from './errors';

const POLL_MS = 100;

/** Takes the lock (waiting up to `waitMs` for a live owner to go); returns its release. */
export async function lockTask(file: string, waitMs = 60_000): Promise<() => void> {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx', mode: 0o600 });
      return () => {
        if (ownerOf(file) === process.pid) fs.rmSync(file, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = ownerOf(file);
    if (owner === undefined || owner === process.pid || !alive(owner)) {
      fs.rmSync(file, { force: true }); // its process is gone (or the file is unreadable): take it over
      continue;
    }
    if (Date.now() > deadline) {
      throw new SyncError('TASK_LOCKED', `another engine process (PID ${owner}) is still running this task on this host`,
        `wait for it to stop, or stop it (kill ${owner}), then start the task again`);
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

function ownerOf(file: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
