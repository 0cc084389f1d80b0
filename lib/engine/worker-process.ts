/**
 * One engine process of the console: a task worker (engine/worker/task-worker.ts,
 * supervised by manager.ts) or a verify worker (engine/worker/verify-worker.ts,
 * supervised by verification.ts). Forked from the project's sources with
 * `--import tsx` (not bundled by Next) and serialization 'advanced', so Maps and
 * Buffers travel; typed by the messages of engine/worker/protocol.ts.
 *
 * It gets only the environment an engine needs (workerEnvironment): none of the console's secrets.
 *
 * Its messages, then its exit, are handled one after another in the order they
 * arrived (a status, then a log line, then a checkpoint), each handler awaited
 * before the next starts; a handler that throws is reported and the next runs.
 */
import { fork, type ChildProcess, type Serializable } from 'node:child_process';
import path from 'node:path';

/**
 * The variables of the console's environment a worker is given: an allow-list, so that no secret the
 * console holds (DTS_SECRET_KEY, DTS_SESSION_SECRET, DTS_ADMIN_PASSWORD, DATABASE_URL with its password,
 * a webhook URL's token, whatever an operator adds) reaches a process that talks to Redis servers. An
 * engine needs none: its task, the passwords decrypted, comes over IPC. Kept: how to find programs and
 * temporary space, the locale and time zone, Node's own settings, and the system's CA bundles (TLS).
 */
const WORKER_ENV = new Set([
  'PATH', 'HOME', 'USER', 'LOGNAME', 'LANG', 'LANGUAGE', 'TZ', 'TMPDIR', 'TMP', 'TEMP', 'SYSTEMROOT',
  'NODE_ENV', 'NODE_OPTIONS', 'NODE_EXTRA_CA_CERTS', 'NODE_V8_COVERAGE', 'UV_THREADPOOL_SIZE',
  'SSL_CERT_FILE', 'SSL_CERT_DIR',
]);
const WORKER_ENV_PREFIXES = ['LC_', 'TSX_'];

export function workerEnvironment(env: Record<string, string | undefined> = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && (WORKER_ENV.has(name) || WORKER_ENV_PREFIXES.some((p) => name.startsWith(p)))) out[name] = value;
  }
  return out;
}

/** How the process ended: its exit code, or the signal that killed it. */
export interface WorkerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface WorkerProcessOptions<In> {
  /** The worker's file in engine/worker/, e.g. 'task-worker.ts'. */
  script: string;
  /** Names the process in the console's error output, e.g. 'engine manager (task x)'. */
  label: string;
  onMessage: (msg: In) => Promise<void>;
  /** Handled after every message that arrived before the exit. */
  onExit: (exit: WorkerExit) => Promise<void>;
}

/** A forked engine process; `Out` is what the console sends it, `In` what it reports. */
export class WorkerProcess<Out extends Serializable, In> {
  /** Resolves when the process has exited (its exit is handled in order after that: see `settled`). */
  readonly exited: Promise<WorkerExit>;
  private readonly child: ChildProcess;
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly opts: WorkerProcessOptions<In>) {
    const script = path.join(/*turbopackIgnore: true*/ process.cwd(), 'engine', 'worker', opts.script);
    this.child = fork(script, [], {
      execArgv: ['--import', 'tsx'],
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      cwd: /*turbopackIgnore: true*/ process.cwd(),
      env: workerEnvironment() as NodeJS.ProcessEnv, // (Next's ProcessEnv type insists on NODE_ENV; it is kept when set)
    });
    const child = this.child;
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    child.on('message', (msg: In) => this.enqueue(() => opts.onMessage(msg)));
    child.once('exit', (code, signal) => this.enqueue(() => opts.onExit({ code, signal })));
  }

  /** The operating system's process ID (diagnostics: which process to look at). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Sends a message while the process is connected (a message to a process that has gone is dropped). */
  send(msg: Out): void {
    if (this.child.connected) this.child.send(msg);
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }

  /** Resolves once the process has exited and every message and the exit are handled. */
  async settled(): Promise<void> {
    await this.exited;
    await this.queue;
    await new Promise((r) => setImmediate(r));
    await this.queue;
  }

  /**
   * Asks the process to stop (`stop`, its protocol's message) and kills it with SIGKILL if it
   * is still running `graceMs` later; resolves once its exit is handled.
   */
  async stop(stop: Out, graceMs: number): Promise<void> {
    this.send(stop);
    const killer = setTimeout(() => this.kill(), graceMs);
    await this.exited;
    clearTimeout(killer);
    await this.settled();
  }

  private enqueue(job: () => Promise<void>): void {
    this.queue = this.queue.then(job).catch((err: unknown) => console.error(`${this.opts.label}:`, err));
  }
}
