/**
 * The bridge between task records and the engine. One manager per console
 * process (started by instrumentation.ts): each running task gets its own
 * engine process (engine/worker/task-worker.ts, a WorkerProcess:
 * worker-process.ts), whose stages, progress, checkpoints and logs are written
 * back to the task record (task-records.ts; progress throttled, its history in
 * batches: metrics-store.ts), so a page load always shows the latest state and a
 * restart resumes from the checkpoint by partial resync.
 *
 * Self-healing: an engine process that dies (a signal, a crash, the OOM killer)
 * is started again with backoff and resumes from the destination's record of the
 * task; the task shows Retrying with the reason meanwhile, and Failed only once
 * its Retry Time for Other Issues has run out, with every attempt in its log.
 */
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import type { SyncOptions, SyncProgress, SyncStage } from '@/engine/sync/types';
import type { IncrementalVerifyOptions, ManagerMessage, WorkerMessage } from '@/engine/worker/protocol';
import { endpointAddress } from '@/engine/endpoint';
import { describeError } from '@/engine/errors';
import { recordPatternFor } from '@/engine/sync/destination-record';
import { deleteTaskRecords } from '@/engine/sync/destination-reset';
import { detachRelayedDestination } from '@/engine/relay/detach';
import { dataDirectory } from '@/lib/db/url';
import { advancedSchema, DEFAULT_ADVANCED, parseStored } from '@/lib/tasks/options';
import { postToWebhook, TaskAlerts, type AlertTask, type TaskAlert } from './alerts';
import { FullMigrationHistory } from './full-history';
import type { TaskSample } from './metrics-history';
import { MetricsStore } from './metrics-store';
import { syncOptionsFor } from './task-options';
import * as records from './task-records';
import { incrementalVerifyOptions, VerificationError, Verifications, verificationSettingsOf } from './verification';
import { WorkerProcess } from './worker-process';
import type { TaskStatus } from '@/lib/tasks/status';
import { canPerform, isTaskStatus, type TaskAction } from '@/lib/tasks/status';

const STAGE_STATUS: Record<SyncStage, TaskStatus> = {
  connecting: 'Initializing',
  'waiting-snapshot': 'Initializing',
  full: 'FullMigration',
  incremental: 'Running',
  paused: 'Paused',
  retrying: 'Retrying',
  completed: 'Completed',
  ended: 'Ended',
  failed: 'Failed',
};

/** States in which a task has (or should have) an engine process. */
const ACTIVE: readonly TaskStatus[] = ['Initializing', 'FullMigration', 'Running', 'Retrying', 'Paused'];

const PERSIST_INTERVAL_MS = 1000;
/** An engine that ran this long before dying starts a new run of restarts (its retry time counts afresh). */
const STABLE_RUN_MS = 60_000;
const RESTART_FIRST_MS = 1_000;
const RESTART_LONGEST_MS = 30_000;
const DEFAULT_OTHER_RETRY_MS = 10 * 60_000;

/** A run of engine restarts after unexpected exits. */
interface Restarts {
  /** When the first exit of the run happened. */
  since: number;
  attempts: number;
  /** When the engine was last started. */
  startedAt: number;
  timer?: NodeJS.Timeout;
}
/** Longest a Pause action waits for the engine to confirm it has stopped writing. */
const PAUSE_ACK_MS = 15_000;
/** Longest End waits for the engine to write what it has read before it is killed. */
const END_GRACE_MS = 60_000;

interface Worker {
  taskId: string;
  /** The engine process; its messages are handled one after another, in order (status, logs, checkpoints). */
  engine: WorkerProcess<ManagerMessage, WorkerMessage>;
  progress?: SyncProgress;
  dirty: boolean;
  timer: NodeJS.Timeout;
  /** Set by End/Release so the exit is recorded as Ended, not Failed. */
  stopping: boolean;
  failure?: string;
  /** The engine's last stage (a full migration is done when it leaves `full`). */
  stage?: SyncStage;
  /** Run Full Data Verification when the full migration completes. */
  verifyAfterFull: boolean;
  /** Pause actions waiting for the engine's acknowledgement. */
  pauseAcks: (() => void)[];
  /** Cut overs waiting for the keys the stream wrote. */
  changedKeysWaiters: ((r: { keys: { db: number; key: Buffer }[]; overflow: boolean }) => void)[];
  /** The task as Monitoring and Alerting sees it. */
  alertTask: AlertTask;
  /** What this run does to the record's account of the full migration (completed, resumed, run again). */
  history: FullMigrationHistory;
  /** Keys the destination evicted in earlier runs (the record's count when this run started). */
  evictedBefore: number;
}

export class TaskActionError extends Error {}

export class EngineManager {
  private readonly workers = new Map<string, Worker>();
  private readonly restarts = new Map<string, Restarts>();
  /** Data verification runs (full: own processes; incremental: reported by the task workers). */
  readonly verification: Verifications;
  /** The tasks' performance history (TaskMetric rows plus the samples not written yet). */
  private readonly metrics: MetricsStore;
  /** Monitoring and Alerting (each task's advanced setting). */
  private readonly alerts = new TaskAlerts((alert) => this.deliverAlert(alert));

  /** Test hook: the restart budget instead of each task's Retry Time for Other Issues. */
  private readonly restartBudgetMs?: number;

  constructor(opts: { verifyIntervalMs?: number; metricsFlushMs?: number; restartBudgetMs?: number } = {}) {
    this.verification = new Verifications(records.log, { intervalMs: opts.verifyIntervalMs });
    this.metrics = new MetricsStore(opts.metricsFlushMs);
    this.restartBudgetMs = opts.restartBudgetMs;
  }
  private readonly events = new EventEmitter().setMaxListeners(0);
  /** The time of each task's last sample: the history, the stream and the live view tell samples apart by time. */
  private readonly lastSampleAt = new Map<string, number>();

  /** The task's performance history (oldest first), from earlier console processes too; see metrics-history.ts. */
  history(taskId: string): Promise<TaskSample[]> {
    return this.metrics.history(taskId);
  }

  /** Calls `listener` with each new sample of the task; returns the unsubscribe function. */
  subscribe(taskId: string, listener: (sample: TaskSample) => void): () => void {
    const event = `sample:${taskId}`;
    this.events.on(event, listener);
    return () => this.events.off(event, listener);
  }

  private record(taskId: string, p: SyncProgress): void {
    // Two progress messages can arrive within a millisecond (a stage change and the periodic one).
    const at = Math.max(Date.now(), (this.lastSampleAt.get(taskId) ?? 0) + 1);
    this.lastSampleAt.set(taskId, at);
    const sample: TaskSample = {
      at, stage: p.stage, fullPercent: p.fullPercent, keysDone: p.keysDone, keysTotal: p.keysTotal,
      rdbBytesDone: p.rdbBytesDone, rps: p.rps, bytesPerSecond: p.bytesPerSecond, delayMs: p.delayMs,
      receivedOffset: p.receivedOffset, checkpointOffset: p.checkpoint?.offset ?? null, replid: p.replid,
    };
    this.metrics.add(taskId, sample);
    this.events.emit(`sample:${taskId}`, sample);
  }
  /** The console is stopping: tasks keep their status and resume at the next start. */
  private shuttingDown = false;

  spoolDir(taskId: string): string {
    return path.join(dataDirectory(), 'spool', taskId);
  }

  isRunning(taskId: string): boolean {
    return this.workers.has(taskId);
  }

  /** The engine's latest progress report (counters of this run), while the task has an engine. */
  liveProgress(taskId: string): SyncProgress | undefined {
    return this.workers.get(taskId)?.progress;
  }

  /** The PID of the task's engine process, while it has one (diagnostics: which process to look at). */
  enginePid(taskId: string): number | undefined {
    return this.workers.get(taskId)?.engine.pid;
  }

  /** Start (or Start again) a task: resumes from its checkpoint when it has one. */
  async start(taskId: string): Promise<void> {
    const existing = this.workers.get(taskId);
    if (existing) {
      existing.engine.send({ type: 'resume' });
      await records.setStatus(taskId, 'Running');
      await records.log(taskId, 'info', 'started again');
      return;
    }
    const task = await records.findTaskToStart(taskId);
    if (!task) throw new TaskActionError('This task no longer exists.');
    const base = syncOptionsFor(task);
    const resumeShards = records.checkpointsOf(task.shards);
    const options: SyncOptions = {
      ...base,
      spoolDir: this.spoolDir(taskId),
      resume: base.source ? resumeShards[endpointAddress(base.source)] : undefined,
      resumeShards,
    };
    await records.markStarting(taskId, task.startedAt);
    const checkpoints = Object.values(resumeShards);
    await records.log(taskId, 'info', options.resume
      ? `starting from checkpoint offset ${options.resume.offset} (partial resync)`
      : checkpoints.length > 0 && base.sourceCluster
        ? `starting each of ${checkpoints.length} source shard(s) from its checkpoint (partial resync)`
        : 'starting: full data migration first');
    const incremental = options.type !== 'full' ? incrementalVerifyOptions(task) : undefined;
    if (incremental) this.verification.incrementalStarting(taskId, incremental, options.ttlExtendSeconds ?? 0);
    // Incremental only: the snapshot is not written, so the destination is not expected to equal the source after it.
    const verifyAfterFull = options.type !== 'incremental' && verificationSettingsOf(task).full.enabled;
    const alertTask = { id: taskId, name: task.name, monitoring: parseStored(advancedSchema, task.advanced, DEFAULT_ADVANCED).monitoring };
    const history = new FullMigrationHistory(taskId, {
      checkpoint: options.resume ? { offset: options.resume.offset } : checkpoints.length > 0 && base.sourceCluster ? { shards: checkpoints.length } : null,
      writesSnapshot: options.type !== 'incremental',
    });
    this.spawn(taskId, options, incremental, verifyAfterFull, alertTask, history, Number(task.evictedKeys));
  }

  private spawn(taskId: string, options: SyncOptions, incrementalVerify: IncrementalVerifyOptions | undefined, verifyAfterFull: boolean,
    alertTask: AlertTask, history: FullMigrationHistory, evictedBefore: number): void {
    const worker: Worker = {
      taskId,
      engine: new WorkerProcess({
        script: 'task-worker.ts',
        label: `engine manager (task ${taskId})`,
        onMessage: (msg) => this.onMessage(worker, msg),
        onExit: ({ code, signal }) => this.onExit(worker, code, signal),
      }),
      dirty: false,
      stopping: false,
      timer: setInterval(() => void this.persistProgress(worker), PERSIST_INTERVAL_MS),
      verifyAfterFull,
      pauseAcks: [],
      changedKeysWaiters: [],
      alertTask,
      history,
      evictedBefore,
    };
    worker.timer.unref();
    this.workers.set(taskId, worker);
    const restarts = this.restarts.get(taskId);
    if (restarts) restarts.startedAt = Date.now();
    worker.engine.send({ type: 'start', options, incrementalVerify });
  }

  private async onMessage(worker: Worker, msg: WorkerMessage): Promise<void> {
    const { taskId } = worker;
    switch (msg.type) {
      case 'paused':
        for (const ack of worker.pauseAcks.splice(0)) ack();
        return;
      case 'progress':
        worker.progress = msg.progress;
        worker.dirty = true;
        this.record(taskId, msg.progress);
        {
          const rerun = await worker.history.progress(msg.progress);
          if (rerun) await records.log(taskId, 'warn', rerun);
        }
        if (msg.progress.stage === 'incremental') await this.alerts.delay(worker.alertTask, msg.progress.delayMs);
        return;
      case 'stage': {
        const status = STAGE_STATUS[msg.stage];
        const fullDone = worker.stage === 'full' && (msg.stage === 'incremental' || msg.stage === 'paused' || msg.stage === 'completed');
        await worker.history.stage(worker.stage, msg.stage);
        worker.stage = msg.stage;
        if (fullDone && worker.verifyAfterFull) await this.verifyAfterFull(taskId);
        if (msg.stage === 'incremental') await records.markIncrementalStarted(taskId);
        if (msg.stage === 'failed' || msg.stage === 'ended' || msg.stage === 'completed') return; // recorded at exit
        await this.persistProgress(worker);
        // The engine reports 'paused' as soon as it is asked to; a Pause action shows Paused on its answer (pause()).
        if (msg.stage === 'paused' && worker.pauseAcks.length > 0) return;
        await records.setStatus(taskId, status);
        await this.alerts.status(worker.alertTask, status);
        return;
      }
      case 'log':
        await records.log(taskId, msg.level, msg.message);
        return;
      case 'checkpoint':
        await records.saveCheckpoint(taskId, msg);
        return;
      case 'done':
        worker.progress = msg.progress;
        worker.dirty = true;
        await this.persistProgress(worker);
        return;
      case 'failed':
        worker.failure = msg.message;
        return;
      case 'verify-difference':
        await this.verification.incrementalDifference(taskId, msg.conflict);
        return;
      case 'verify-stats':
        await this.verification.incrementalStats(taskId, msg.stats, msg.final);
        return;
      case 'changed-keys':
        for (const resolve of worker.changedKeysWaiters.splice(0)) resolve({ keys: msg.keys, overflow: msg.overflow });
        return;
    }
  }

  /** The full migration completed and the task's settings enable Full Data Verification: run it. */
  private async verifyAfterFull(taskId: string): Promise<void> {
    try {
      await this.verification.start(taskId, 'auto');
    } catch (err) {
      const why = err instanceof VerificationError ? err.message : String(err);
      await records.log(taskId, 'warn', `full data verification after the full migration did not start: ${why}`);
    }
  }

  /** Verify Now: a Full Data Verification with the task's settings; returns the run's id. */
  async verifyNow(taskId: string): Promise<string> {
    return this.verification.start(taskId, 'manual');
  }

  private async onExit(worker: Worker, code: number | null, signal: NodeJS.Signals | null): Promise<void> {
    clearInterval(worker.timer);
    this.workers.delete(worker.taskId);
    await this.persistProgress(worker);
    await this.metrics.flush();
    await this.verification.incrementalEnded(worker.taskId);
    const stage = worker.progress?.stage;
    const { taskId } = worker;
    // Written is not held: the final word of a task whose destination evicted keys says so.
    const evictedKeys = this.evictedKeys(worker);
    const evicted = evictedKeys > 0 ? `, but the destination evicted ${evictedKeys} keys while it ran: it does not hold everything written` : '';
    if (this.shuttingDown) return;
    const current = await records.statusOf(taskId);
    if (current === undefined || current === 'Released') return;
    if (worker.failure && !worker.stopping) {
      await records.markFailed(taskId, worker.failure);
      await this.alerts.status(worker.alertTask, 'Failed', worker.failure);
    } else if (stage === 'completed') {
      await records.markFinished(taskId, 'Completed', evicted ? 'warn' : 'info', `full data migration completed${evicted}`);
    } else if (worker.stopping || stage === 'ended') {
      await records.markFinished(taskId, 'Ended', evicted ? 'warn' : 'info', `task ended${evicted}`);
    } else {
      const why = `the engine process stopped unexpectedly (${signal ?? `exit code ${code}`})`;
      if (await this.restartLater(worker, why)) return;
      const attempts = this.restarts.get(taskId)?.attempts ?? 0;
      this.restarts.delete(taskId);
      const final = attempts > 0 ? `${why}; gave up after ${attempts} restart(s): the Retry Time for Other Issues ran out` : why;
      await records.markFailed(taskId, final);
      await this.alerts.status(worker.alertTask, 'Failed', final);
    }
  }

  /**
   * An engine that died is started again after a backoff, while the task's Retry Time for
   * Other Issues lasts (counted from the first exit of a run). False when it has run out.
   */
  private async restartLater(worker: Worker, why: string): Promise<boolean> {
    const { taskId } = worker;
    const task = await records.findTask(taskId);
    if (!task) return false;
    const budget = this.restartBudgetMs ?? syncOptionsFor(task).otherRetryMs ?? DEFAULT_OTHER_RETRY_MS;
    const now = Date.now();
    let run = this.restarts.get(taskId);
    if (!run || now - run.startedAt > STABLE_RUN_MS) run = { since: now, attempts: 0, startedAt: now };
    this.restarts.set(taskId, run);
    if (now - run.since > budget) return false;
    run.attempts++;
    const delay = Math.min(RESTART_FIRST_MS * 2 ** (run.attempts - 1), RESTART_LONGEST_MS);
    await records.markRetrying(taskId, why,
      `${why}; starting it again in ${delay / 1000} s (restart ${run.attempts}), from where the destination's record says it is`);
    await this.alerts.status(worker.alertTask, 'Retrying', why);
    run.timer = setTimeout(() => void this.restartNow(taskId), delay);
    run.timer.unref();
    return true;
  }

  private async restartNow(taskId: string): Promise<void> {
    const run = this.restarts.get(taskId);
    if (run) run.timer = undefined;
    if (this.shuttingDown || this.workers.has(taskId)) return;
    if ((await records.statusOf(taskId)) !== 'Retrying') return; // ended or released meanwhile
    await this.start(taskId).catch((err: unknown) => records.markFailed(taskId, `the engine could not be started again: ${describeError(err)}`));
  }

  /** A pending restart is dropped (End, Release, a Start by the user, shutdown). */
  private cancelRestart(taskId: string): void {
    const run = this.restarts.get(taskId);
    if (run?.timer) clearTimeout(run.timer);
    this.restarts.delete(taskId);
  }

  private async persistProgress(worker: Worker): Promise<void> {
    const p = worker.progress;
    if (!p || !worker.dirty) return;
    worker.dirty = false;
    // A run resumed by partial resync has no full migration of its own: the record keeps the completed one's figures.
    await records.saveProgress(worker.taskId, p, { ranFull: FullMigrationHistory.ranFull(p), evictedKeys: this.evictedKeys(worker) });
  }

  /**
   * Keys the destination evicted that it still lacks: this run's, plus earlier runs' unless this
   * run wrote the snapshot again (which writes every key anew).
   */
  private evictedKeys(worker: Worker): number {
    const p = worker.progress;
    if (!p) return worker.evictedBefore;
    return FullMigrationHistory.ranFull(p) ? p.evictedKeys : worker.evictedBefore + p.evictedKeys;
  }

  /** Monitoring and Alerting: into the task's log, and to the webhook when one is set. */
  private async deliverAlert(alert: TaskAlert): Promise<void> {
    await records.log(alert.taskId, alert.level, `alert: ${alert.message}`);
    const failed = await postToWebhook(alert);
    if (failed) await records.log(alert.taskId, 'warn', failed);
  }

  async pause(taskId: string): Promise<void> {
    const worker = this.workers.get(taskId);
    if (!worker) throw new TaskActionError('The task is not running, so it cannot be paused.');
    let ack!: () => void;
    const acked = new Promise<void>((resolve) => {
      ack = resolve;
      worker.pauseAcks.push(resolve);
    });
    worker.engine.send({ type: 'pause' });
    // "Paused" is shown once the engine writes nothing more; a destination being reconnected
    // delays that acknowledgement, and the status must not wait for it forever.
    const bound = new Promise<void>((resolve) => setTimeout(resolve, PAUSE_ACK_MS).unref());
    await Promise.race([acked, worker.engine.exited, bound]);
    // Not waiting any more: later 'paused' stages (after a reconnect) set the status again.
    const waiting = worker.pauseAcks.indexOf(ack);
    if (waiting >= 0) worker.pauseAcks.splice(waiting, 1);
    await records.setStatus(taskId, 'Paused');
  }

  /** The keys the task's stream wrote since its engine started (undefined: no engine, or no answer in time). */
  async changedKeys(taskId: string, timeoutMs = 10_000): Promise<{ keys: { db: number; key: Buffer }[]; overflow: boolean } | undefined> {
    const worker = this.workers.get(taskId);
    if (!worker) return undefined;
    let resolver!: (r: { keys: { db: number; key: Buffer }[]; overflow: boolean }) => void;
    const answer = new Promise<{ keys: { db: number; key: Buffer }[]; overflow: boolean }>((resolve) => {
      resolver = resolve;
      worker.changedKeysWaiters.push(resolve);
    });
    worker.engine.send({ type: 'changed-keys' });
    const late = new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), timeoutMs).unref());
    const r = await Promise.race([answer, late, worker.engine.exited.then(() => undefined)]);
    const waiting = worker.changedKeysWaiters.indexOf(resolver);
    if (waiting >= 0) worker.changedKeysWaiters.splice(waiting, 1);
    return r;
  }

  /** Upgrade Instance Class of a running (or paused) task: its engine takes the new rate at once. */
  async applyLimits(taskId: string): Promise<boolean> {
    const worker = this.workers.get(taskId);
    if (!worker) return false;
    const task = await records.findTask(taskId);
    if (!task) return false;
    const { rps, throttle } = syncOptionsFor(task);
    worker.engine.send({ type: 'limits', limits: { rps, throttle } });
    return true;
  }

  /** End: stop cleanly, write everything already read, delete the heartbeat key; keep the record. */
  async end(taskId: string): Promise<void> {
    this.cancelRestart(taskId);
    const worker = this.workers.get(taskId);
    if (!worker) {
      await records.markFinished(taskId, 'Ended', 'info', 'task ended');
      return;
    }
    worker.stopping = true;
    await worker.engine.stop({ type: 'stop' }, END_GRACE_MS); // onExit has recorded Ended
  }

  /** Release: free the engine process and spool and hide the task from the list. */
  async release(taskId: string): Promise<void> {
    this.cancelRestart(taskId);
    if (this.workers.has(taskId)) await this.end(taskId);
    await this.verification.stop(taskId, 'the task was released');
    await this.deleteRecords(taskId);
    fs.rmSync(this.spoolDir(taskId), { recursive: true, force: true });
    await this.metrics.forget(taskId);
    this.alerts.forget(taskId);
    this.lastSampleAt.delete(taskId);
    await records.markReleased(taskId);
  }

  /** Release: the task's records on the destination go (a destination out of reach gets a warning, not a failure). */
  private async deleteRecords(taskId: string): Promise<void> {
    const task = await records.findTask(taskId);
    if (!task) return;
    if (parseStored(advancedSchema, task.advanced, DEFAULT_ADVANCED).writeMethod === 'relay') {
      // A relayed task keeps no record; a destination its dead engine left as a replica is detached.
      try {
        if (await detachRelayedDestination(syncOptionsFor(task).target)) await records.log(taskId, 'info', 'the destination is a master again (REPLICAOF NO ONE), with its own masterauth');
      } catch (err) {
        await records.log(taskId, 'warn', `could not make the destination a master again: ${describeError(err)}; run REPLICAOF NO ONE on it`);
      }
      return;
    }
    try {
      const deleted = await deleteTaskRecords(syncOptionsFor(task).target, taskId);
      if (deleted > 0) await records.log(taskId, 'info', `deleted the task's record on the destination (${deleted} key(s) ${recordPatternFor(taskId)})`);
    } catch (err) {
      await records.log(taskId, 'warn', `could not delete the task's record on the destination (${recordPatternFor(taskId)}): ${describeError(err)}; `
        + 'it is one small key per source shard, safe to delete by hand');
    }
  }

  /** At server start: tasks that were running get their engine back, resuming from their checkpoints. */
  async recover(): Promise<void> {
    await this.verification.recover();
    for (const t of await records.tasksIn(ACTIVE)) {
      if (this.workers.has(t.id)) continue;
      if (t.status === 'Paused') continue; // resumes when the user presses Start
      await records.log(t.id, 'warn', 'the console restarted; resuming the task');
      await this.start(t.id).catch((err: unknown) => records.markFailed(t.id, String(err)));
    }
  }

  /**
   * The console is shutting down: each engine writes what it has read and
   * reports its final checkpoint, so the next start resumes exactly there.
   */
  async shutdown(timeoutMs = 10_000): Promise<void> {
    this.shuttingDown = true;
    for (const taskId of [...this.restarts.keys()]) this.cancelRestart(taskId);
    // The last checkpoints are saved once each exit is handled.
    await Promise.all([...this.workers.values()].map((w) => w.engine.stop({ type: 'stop' }, timeoutMs)));
    await this.metrics.close();
    await this.verification.shutdown();
  }

  /** Runs one of the task actions of PRODUCT.md after checking the state allows it. */
  async perform(taskId: string, action: Exclude<TaskAction, 'edit' | 'clone'>): Promise<void> {
    const current = await records.statusOf(taskId);
    if (current === undefined) throw new TaskActionError('This task no longer exists.');
    const status = isTaskStatus(current) ? current : 'Failed';
    if (!canPerform(action, status)) throw new TaskActionError(`A task that is ${status} cannot be ${ACTION_PAST[action]}.`);
    switch (action) {
      case 'start':
        this.cancelRestart(taskId);
        return this.start(taskId);
      case 'pause': return this.pause(taskId);
      case 'end': return this.end(taskId);
      case 'release': return this.release(taskId);
    }
  }
}

const ACTION_PAST: Record<Exclude<TaskAction, 'edit' | 'clone'>, string> = {
  start: 'started', pause: 'paused', end: 'ended', release: 'released',
};

const globalForEngine = globalThis as unknown as { dtsEngine?: EngineManager };

export function engineManager(): EngineManager {
  globalForEngine.dtsEngine ??= new EngineManager();
  return globalForEngine.dtsEngine;
}

