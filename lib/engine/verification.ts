/**
 * Data verification runs of the console's tasks, owned by the engine manager.
 *
 * Full Data Verification runs in its own engine process
 * (engine/worker/verify-worker.ts), after the full migration (when the task's
 * settings enable it) or on demand (Verify Now): one at a time per task, each
 * round stored as a VerificationRound as it completes and logged in the task log.
 *
 * Incremental Data Verification runs inside the task's engine process; what it
 * reports (still-different keys, counters) is kept here and stored on an
 * incremental VerificationRun per engine session, a few seconds apart.
 */
import type { IncrementalStats } from '@/engine/verify/incremental';
import type { Conflict, RoundResult, VerifyProgress, VerifyResult } from '@/engine/verify/types';
import type { IncrementalVerifyOptions, VerifyJob, VerifyManagerMessage, VerifyWorkerMessage } from '@/engine/worker/protocol';
import { db } from '@/lib/db/client';
import { DEFAULT_VERIFICATION, parseStored, verificationSchema, type VerificationSettings } from '@/lib/tasks/options';
import {
  countsText, emptyConflictCounts, type ConflictCounts, type FullRunSettings, type FullRunSummary, type IncrementalDbResult,
  type IncrementalRunSettings, type IncrementalRunSummary, type RunStatus, type RunTrigger,
} from '@/lib/tasks/verification-view';
import { syncOptionsFor, type TaskRecord } from './task-options';
import { WorkerProcess } from './worker-process';

export class VerificationError extends Error {}

type LogFn = (taskId: string, level: 'info' | 'warn' | 'error', message: string) => Promise<void>;

/** The pause before each recheck round (engine/verify's default). */
export const ROUND_INTERVAL_MS = 5_000;
/** Incremental: how long after a write its key is compared. */
export const INCREMENTAL_DELAY_MS = 5_000;
/** Incremental results are written at most this often. */
const INCREMENTAL_PERSIST_MS = 2_000;
/** Longest Stop Verification waits for the verify process to stop before it is killed. */
const STOP_GRACE_MS = 10_000;
/** Incremental differences written to the task log per run; further ones are only counted. */
const INCREMENTAL_LOGGED = 20;
const SAMPLE_PER_DB = 100;

interface FullRun {
  runId: string;
  taskId: string;
  /** The verify process; its messages are handled one after another, in order. */
  verifier: WorkerProcess<VerifyManagerMessage, VerifyWorkerMessage>;
  progress?: VerifyProgress;
  /** A round, the verdict or a failure was recorded. */
  settled: boolean;
  /** Why it is being stopped (set by stop and shutdown). */
  stopping?: string;
}

interface IncrementalRun {
  taskId: string;
  runId?: Promise<string>;
  settings: IncrementalRunSettings;
  stats?: IncrementalStats;
  counts: ConflictCounts;
  dbs: Map<number, IncrementalDbResult>;
  logged: number;
  dirty: boolean;
  timer?: NodeJS.Timeout;
  /** Writes of this run, one after another. */
  queue: Promise<void>;
}

export function verificationSettingsOf(task: { verification: string }): VerificationSettings {
  return parseStored(verificationSchema, task.verification, DEFAULT_VERIFICATION);
}

/** What the task worker gets when the task's Incremental Data Verification is on (undefined when off). */
export function incrementalVerifyOptions(task: { verification: string }): IncrementalVerifyOptions | undefined {
  const v = verificationSettingsOf(task);
  if (!v.incremental.enabled) return undefined;
  return { mode: v.full.mode, bigKeyThreshold: v.full.bigKeyThreshold, rateLimit: v.full.rateLimit, delayMs: INCREMENTAL_DELAY_MS };
}

function roundLine(r: RoundResult): string {
  const what = r.scope === 'all' ? 'all keys' : 'recheck of the keys that differed';
  const found = r.conflicts === 0 ? 'no differences' : `${r.conflicts} difference${r.conflicts === 1 ? '' : 's'} (${countsText(r.counts)})`;
  const moved = r.changedWhileRead ? `; ${r.changedWhileRead} key${r.changedWhileRead === 1 ? '' : 's'} changed while read, compared again` : '';
  return `data verification round ${r.round} (${what}): ${r.keysChecked} keys checked, ${found}${moved}`;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

export class Verifications {
  private readonly full = new Map<string, FullRun>();
  /** The latest full run per task, running or not (for `settled`). */
  private readonly latest = new Map<string, FullRun>();
  private readonly incremental = new Map<string, IncrementalRun>();

  constructor(private readonly log: LogFn, private readonly opts: { intervalMs?: number } = {}) {}

  /** A Full Data Verification of the task is running in this console. */
  isRunning(taskId: string): boolean {
    return this.full.has(taskId);
  }

  /** The progress of the task's running full verification, if any. */
  progress(taskId: string): (VerifyProgress & { runId: string }) | undefined {
    const run = this.full.get(taskId);
    return run?.progress ? { ...run.progress, runId: run.runId } : undefined;
  }

  /**
   * Starts a Full Data Verification of the task with its settings (step 4): `auto`
   * after the full migration, `manual` for Verify Now. Returns the run's id once the
   * verify process is started; the rounds are stored as they complete.
   */
  async start(taskId: string, trigger: Exclude<RunTrigger, 'stream'>): Promise<string> {
    if (this.full.has(taskId)) throw new VerificationError('A Full Data Verification of this task is already running.');
    const task = await db().task.findUnique({ where: { id: taskId } });
    if (!task) throw new VerificationError('This task no longer exists.');
    const v = verificationSettingsOf(task).full;
    let job: VerifyJob;
    try {
      const sync = syncOptionsFor(task as TaskRecord);
      job = {
        source: sync.source!, target: sync.target, filter: sync.filter, mode: v.mode, rounds: v.rounds,
        intervalMs: this.opts.intervalMs ?? ROUND_INTERVAL_MS, rateLimit: v.rateLimit, bigKeyThreshold: v.bigKeyThreshold,
        ttlExtendSeconds: sync.ttlExtendSeconds ?? 0,
      };
    } catch (err) {
      throw new VerificationError(`The task's endpoints cannot be read: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (this.full.has(taskId)) throw new VerificationError('A Full Data Verification of this task is already running.');
    const settings: FullRunSettings = {
      mode: v.mode, rounds: v.rounds, intervalMs: job.intervalMs!, rateLimit: v.rateLimit ?? null, bigKeyThreshold: v.bigKeyThreshold,
      ttlExtendSeconds: job.ttlExtendSeconds ?? 0,
    };
    const record = await db().verificationRun.create({
      data: { taskId, kind: 'full', trigger, status: 'running', settings: JSON.stringify(settings) },
    });
    await this.log(taskId, 'info', `full data verification started (${trigger === 'auto' ? 'after the full migration' : 'Verify Now'}): `
      + `mode ${v.mode}, up to ${v.rounds} round${v.rounds === 1 ? '' : 's'}, ${v.rateLimit} keys/s`);

    const run: FullRun = {
      runId: record.id,
      taskId,
      verifier: new WorkerProcess({
        script: 'verify-worker.ts',
        label: `verification (task ${taskId})`,
        onMessage: (msg) => this.onFullMessage(run, msg),
        onExit: ({ code, signal }) => this.onFullExit(run, code, signal),
      }),
      settled: false,
    };
    this.full.set(taskId, run);
    this.latest.set(taskId, run);
    run.verifier.send({ type: 'verify', job });
    return record.id;
  }

  private async onFullMessage(run: FullRun, msg: VerifyWorkerMessage): Promise<void> {
    switch (msg.type) {
      case 'progress':
        run.progress = msg.progress;
        return;
      case 'round':
        return this.saveRound(run, msg.round);
      case 'done':
        return this.finishFull(run, msg.result);
      case 'failed':
        if (run.stopping || msg.stopped) return this.failFull(run, 'stopped', run.stopping ?? 'the verification was aborted');
        return this.failFull(run, 'failed', msg.message);
    }
  }

  private async saveRound(run: FullRun, r: RoundResult): Promise<void> {
    await db().verificationRound.create({
      data: {
        runId: run.runId, round: r.round, scope: r.scope, keysChecked: BigInt(r.keysChecked), conflicts: BigInt(r.conflicts),
        counts: JSON.stringify(r.counts), dbs: JSON.stringify(r.dbs), recheckOverflow: r.recheckOverflow,
        startedAt: new Date(r.startedAt), durationMs: r.durationMs,
      },
    });
    await db().verificationRun.update({
      where: { id: run.runId },
      data: { conflicts: BigInt(r.conflicts), ...(r.round === 1 ? { keysChecked: BigInt(r.keysChecked) } : {}) },
    });
    await this.log(run.taskId, r.conflicts === 0 ? 'info' : 'warn', roundLine(r));
  }

  /** The run's outcome is known: another may start (the process only has to leave). */
  private release(run: FullRun): void {
    run.settled = true;
    if (this.full.get(run.taskId) === run) this.full.delete(run.taskId);
  }

  private async finishFull(run: FullRun, result: VerifyResult): Promise<void> {
    this.release(run);
    const summary: FullRunSummary = {
      equal: result.equal, durationMs: result.durationMs, counts: result.final.counts, source: result.source, target: result.target,
      digest: result.settings.digest,
    };
    const status: RunStatus = result.equal ? 'equal' : 'different';
    await db().verificationRun.update({
      where: { id: run.runId },
      data: {
        status, summary: JSON.stringify(summary), conflicts: BigInt(result.final.conflicts),
        keysChecked: BigInt(result.rounds[0]?.keysChecked ?? 0), finishedAt: new Date(result.finishedAt),
      },
    });
    const rounds = `${result.rounds.length} round${result.rounds.length === 1 ? '' : 's'}, ${seconds(result.durationMs)}`;
    if (result.equal) {
      await this.log(run.taskId, 'info', `full data verification: source and destination are equal (${result.rounds[0]?.keysChecked ?? 0} keys, ${rounds})`);
    } else {
      await this.log(run.taskId, 'warn', `full data verification: ${result.final.conflicts} differences remain (${countsText(result.final.counts)}) after ${rounds}; `
        + 'see Data Verification for the keys');
    }
  }

  private async failFull(run: FullRun, status: 'failed' | 'stopped', message: string): Promise<void> {
    this.release(run);
    await db().verificationRun.update({
      where: { id: run.runId },
      data: { status, errorMessage: message, finishedAt: new Date() },
    }).catch(() => undefined); // the task may have been deleted meanwhile
    await this.log(run.taskId, status === 'stopped' ? 'info' : 'error',
      status === 'stopped' ? `full data verification stopped before it finished: ${message}` : `full data verification failed: ${message}`);
  }

  private async onFullExit(run: FullRun, code: number | null, signal: NodeJS.Signals | null): Promise<void> {
    if (this.full.get(run.taskId) === run) this.full.delete(run.taskId);
    if (run.settled) return;
    if (run.stopping) await this.failFull(run, 'stopped', run.stopping);
    else await this.failFull(run, 'failed', `the verification process stopped unexpectedly (${signal ?? `exit code ${code}`})`);
  }

  /** Stops the task's running full verification (its record says Stopped, and why). */
  async stop(taskId: string, why = 'Stop Verification was pressed'): Promise<void> {
    const run = this.full.get(taskId);
    if (!run || run.settled) return;
    run.stopping = why;
    await run.verifier.stop({ type: 'stop' }, STOP_GRACE_MS);
  }

  /** Waits until the task's running full verification (if any) has finished and is recorded. */
  async settled(taskId: string): Promise<void> {
    const run = this.latest.get(taskId);
    if (!run) return;
    await run.verifier.settled();
    if (this.latest.get(taskId) === run) this.latest.delete(taskId);
  }

  // ——— Incremental Data Verification (reported by the task worker) ———

  /** A task worker starts with incremental verification on: its results go to a new run once it reports. */
  incrementalStarting(taskId: string, options: IncrementalVerifyOptions, ttlExtendSeconds: number): void {
    this.incremental.set(taskId, {
      taskId,
      settings: { mode: options.mode ?? 'full', delayMs: options.delayMs ?? INCREMENTAL_DELAY_MS, rateLimit: options.rateLimit ?? null, ttlExtendSeconds },
      counts: emptyConflictCounts(), dbs: new Map(), logged: 0, dirty: false, queue: Promise.resolve(),
    });
  }

  private incrementalRun(taskId: string): IncrementalRun | undefined {
    const run = this.incremental.get(taskId);
    if (!run) return undefined;
    if (!run.runId) {
      run.runId = db().verificationRun.create({
        data: { taskId, kind: 'incremental', trigger: 'stream', status: 'running', settings: JSON.stringify(run.settings) },
      }).then((r) => r.id);
      run.runId.catch(() => undefined); // awaited (and reported) where it is used
    }
    if (!run.timer) {
      run.timer = setInterval(() => this.persistIncremental(run, false), INCREMENTAL_PERSIST_MS);
      run.timer.unref();
    }
    return run;
  }

  async incrementalStats(taskId: string, stats: IncrementalStats, final: boolean): Promise<void> {
    const run = this.incrementalRun(taskId);
    if (!run) return;
    run.stats = stats;
    run.dirty = true;
    if (final) await this.persistIncremental(run, false);
  }

  async incrementalDifference(taskId: string, c: Conflict): Promise<void> {
    const run = this.incrementalRun(taskId);
    if (!run) return;
    run.counts[c.kind]++;
    let perDb = run.dbs.get(c.db);
    if (!perDb) run.dbs.set(c.db, (perDb = { db: c.db, targetDb: c.targetDb, conflicts: 0, counts: emptyConflictCounts(), sample: [] }));
    perDb.conflicts++;
    perDb.counts[c.kind]++;
    perDb.sample.push(c);
    if (perDb.sample.length > SAMPLE_PER_DB) perDb.sample.shift();
    run.dirty = true;
    if (run.logged < INCREMENTAL_LOGGED) {
      run.logged++;
      const field = c.field ? `, field ${c.field}` : '';
      await this.log(taskId, 'warn', `incremental data verification: key "${c.key}" in DB ${c.db} still differs after the stream wrote it (${c.kind}${field})`);
      if (run.logged === INCREMENTAL_LOGGED) {
        await this.log(taskId, 'warn', 'incremental data verification: further differences are counted in Data Verification, not logged');
      }
    }
  }

  private persistIncremental(run: IncrementalRun, finished: boolean): Promise<void> {
    run.queue = run.queue.then(async () => {
      if (!run.runId || (!run.dirty && !finished)) return;
      run.dirty = false;
      const id = await run.runId;
      const summary: IncrementalRunSummary = {
        stats: run.stats, counts: run.counts, dbs: [...run.dbs.values()].sort((a, b) => a.db - b.db),
      };
      const different = run.stats?.different ?? 0;
      await db().verificationRun.update({
        where: { id },
        data: {
          summary: JSON.stringify(summary),
          keysChecked: BigInt((run.stats?.equal ?? 0) + different),
          conflicts: BigInt(different),
          errorMessage: run.stats?.lastError ?? null,
          ...(finished ? { status: different > 0 ? 'different' : 'equal', finishedAt: new Date() } : {}),
        },
      });
    }).catch((err: unknown) => console.error(`incremental verification (task ${run.taskId}):`, err));
    return run.queue;
  }

  /** The task worker exited: its incremental run is finished (when it ever reported). */
  async incrementalEnded(taskId: string): Promise<void> {
    const run = this.incremental.get(taskId);
    if (!run) return;
    this.incremental.delete(taskId);
    if (run.timer) clearInterval(run.timer);
    await this.persistIncremental(run, true);
    if (run.runId && run.stats) {
      const s = run.stats;
      await this.log(taskId, s.different > 0 ? 'warn' : 'info', `incremental data verification ended: ${s.equal + s.different} keys checked, `
        + `${s.different} still different${s.dropped ? `, ${s.dropped} not checked (queue full)` : ''}`);
    }
  }

  // ——— Console start and stop ———

  /** At server start: runs left running by a console that stopped are recorded as Stopped. */
  async recover(): Promise<void> {
    const stale = await db().verificationRun.findMany({ where: { status: 'running' }, select: { id: true, taskId: true, kind: true } });
    for (const r of stale) {
      if (r.kind === 'full' && this.full.get(r.taskId)?.runId === r.id) continue;
      if (r.kind === 'incremental' && this.incremental.has(r.taskId)) continue;
      await db().verificationRun.update({
        where: { id: r.id },
        data: { status: 'stopped', errorMessage: 'the console stopped before the run finished', finishedAt: new Date() },
      });
    }
  }

  /** The console is stopping: full runs are stopped (and recorded so); incremental results are written. */
  async shutdown(timeoutMs = 5_000): Promise<void> {
    await Promise.all([...this.full.values()].map((r) => {
      r.stopping = 'the console stopped';
      return r.verifier.stop({ type: 'stop' }, timeoutMs);
    }));
    await Promise.all([...this.incremental.keys()].map((id) => this.incrementalEnded(id)));
  }
}
