/**
 * Running the sync CLI (`engine/cli/sync.ts`) as a child process in a test: spawned
 * the way `npm run sync --` runs it or as one node process, run to completion with
 * a time limit, and its output read back (the "error: …" lines, `--json` events).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

const TSX = path.resolve(import.meta.dirname, '../../../node_modules/.bin/tsx');
const CLIS = { sync: path.resolve(import.meta.dirname, '../sync.ts'), verify: path.resolve(import.meta.dirname, '../verify.ts') };

export interface SpawnOptions {
  /** One node process (see spawnCli). */
  direct?: boolean;
  /** The process's environment (default: this one's). */
  env?: NodeJS.ProcessEnv;
  /** Which CLI: `npm run sync` (default) or `npm run verify`. */
  cli?: keyof typeof CLIS;
}

export interface CliProcess {
  child: ChildProcess;
  /** Output so far. */
  stdout: () => string;
  stderr: () => string;
  /** Resolves when the process exits. */
  exited: Promise<CliResult>;
}

/**
 * Starts the sync CLI as `tsx engine/cli/sync.ts …` (what `npm run sync --` runs), or with
 * `direct` as `node --import tsx engine/cli/sync.ts …`: one process, so a signal reaches the
 * CLI itself. (The tsx wrapper relays SIGTERM to its child, but when the child does not
 * confirm within 30 ms — a loaded machine — it SIGKILLs it and exits 143.)
 */
export function spawnCli(args: string[], opts: SpawnOptions = {}): CliProcess {
  const cli = CLIS[opts.cli ?? 'sync'];
  const options = { stdio: ['ignore', 'pipe', 'pipe'] as ['ignore', 'pipe', 'pipe'], env: opts.env ?? process.env };
  const child = opts.direct
    ? spawn(process.execPath, ['--import', 'tsx', cli, ...args], options)
    : spawn(TSX, [cli, ...args], options);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

/** Runs the sync CLI (or `opts.cli`) to completion (killed after `timeoutMs`). */
export async function runCli(args: string[], timeoutMs = 30_000, opts: SpawnOptions = {}): Promise<CliResult> {
  const p = spawnCli(args, opts);
  const timer = setTimeout(() => p.child.kill('SIGKILL'), timeoutMs);
  try {
    const r = await p.exited;
    if (r.signal === 'SIGKILL') throw new Error(`the CLI did not exit within ${timeoutMs} ms:\n${r.stderr}`);
    return r;
  } finally {
    clearTimeout(timer);
  }
}

/** The "error: …" lines the CLI wrote to stderr. */
export function errorLines(r: { stderr: string }): string[] {
  return r.stderr.split('\n').filter((l) => l.startsWith('error: '));
}

/** The last "error: …" line the CLI wrote to stderr. */
export function errorLine(r: { stderr: string }): string {
  return errorLines(r).at(-1) ?? '';
}

/** NDJSON events of `--json` output. */
export function jsonEvents(stdout: string): { type: string; [k: string]: unknown }[] {
  return stdout.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as { type: string });
}
