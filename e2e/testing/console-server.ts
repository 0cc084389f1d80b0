/**
 * A console server of a spec's own (beside the one Playwright starts), for
 * settings the shared one does not have: started as a child process, waited for
 * until /api/health answers, its output kept, stopped with SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '..', '..');

export interface ConsoleProcess {
  child: ChildProcess;
  /** Everything it printed so far. */
  log(): string;
}

/** Runs `node <args>` in the repository with `env`, and waits until `${base}/api/health` answers. */
export async function startConsoleProcess(base: string, args: string[], env: NodeJS.ProcessEnv): Promise<ConsoleProcess> {
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the console exited:\n${out}`);
    try {
      if ((await fetch(`${base}/api/health`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the console did not start:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return { child, log: () => out };
}

export async function stopConsoleProcess(s: ConsoleProcess | undefined): Promise<void> {
  if (!s || s.child.exitCode !== null) return;
  const exited = new Promise((r) => s.child.once('exit', r));
  s.child.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
  if (s.child.exitCode === null) s.child.kill('SIGKILL');
}
