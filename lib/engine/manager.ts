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
import { STAGE_STATUS } from './stage-status';
import { syncOptionsFor } from './task-options';
import * as records from './task-records';
import { incrementalVerifyOptions, VerificationError, Verifications, verificationSettingsOf } from './verification';
import { WorkerProcess } from './worker-process';
import { taskRunRecords, type RunRecords } from './run-records';
import { databaseUnreachable } from '@/lib/db/errors';
import { QueueDispatcher } from './queue/dispatcher';
import type { WorkerView } from './queue/queue';
import { queueUrl, type ShardJob } from './queue/queue';
import { LeaseLostError, shardRunRecords } from './queue/shard-records';
import type { TaskStatus } from '@/lib/tasks/status';
import { canPerform, isTaskStatus, type TaskAction } from '@/lib/tasks/status';


/** States in which a task has (or should have) an engine process. */
const ACTIVE: readonly TaskStatus[] = ['Initializing', 'FullMigration', 'Running', 'Retrying', 'Paused'];

const PERSIST_INTERVAL_MS = 1000;
/** An engine that ran this long before dying starts a new run of restarts (its retry time counts afresh). */
const STABLE_RUN_MS = 60_000;
const RESTART_FIRST_MS = 1_000;
const RESTART_LONGEST_MS = 30_000;
/** A shard run whose start the database prevented goes back on the queue after this long. */
const DATABASE_RETRY_MS = 1_000;
const DEFAULT_OTHER_RETRY_MS = 10 * 60_000;

/** A run of engine restarts after unexpected exits. */
interface Restarts {
  /** When the first exit of the run happened. */
  since: number;
  attempts: number;
  /** When the engine was last started. */
  startedAt: number;
  timer?: NodeJS.Timeout;
  /** The run waiting to be started again. */
  spec?: RunSpec;
}
/** Longest a Pause action waits for the engine to confirm it has stopped writing. */
const PAUSE_ACK_MS = 15_000;
/** Longest End waits for the engine to write what it has read before it is killed. */
const END_GRACE_MS = 60_000;

/**
 * One shard of a task run by this process as a distributed-mode worker (queue/worker-main.ts): the
 * job, the lease its writes are fenced by, and the worker's name.
 */
export interface ShardRun {
  job: ShardJob;
  lease: string;
  workerId: string;
}

/** How a shard run ended, for its job: done for good, handed back (the worker stops), or taken over by another worker. */
export type RunOutcome = 'finished' | 'handed-back' | 'lease-lost';

/** What starts (and restarts) one run: the whole task, or one shard of it. */
interface RunSpec {
  key: string;
  taskId: string;
  records: RunRecords;
  shard?: ShardRun;
  /** A shard run's job waits for this. */
  finished?: (outcome: RunOutcome) => void;
}

interface Worker {
  taskId: string;
  spec: RunSpec;
  /** The engine process; its messages are handled one after another, in order (status, logs, checkpoints). */
  engine: WorkerProcess<ManagerMessage, WorkerMessage>;
  progress?: SyncProgress;
  dirty: boolean;
  timer: NodeJS.Timeout;
  /** Set by End/Release so the exit is recorded as Ended, not Failed. */
  stopping: boolean;
  /** Another worker holds the shard now: this run writes nothing more. */
  leaseLost: boolean;
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

export interface EngineManagerOptions {
  verifyIntervalMs?: number;
  metricsFlushMs?: number;
  restartBudgetMs?: number;
  /**
   * Distributed mode's control-plane Redis (default DTS_QUEUE_URL): this console then runs no engine,
   * it hands each started task's shards to the workers' queue and controls them (queue/dispatcher.ts).
   * A worker's own manager is made with `role: 'worker'` and runs the shards it is given.
   */
  queueUrl?: string;
  role?: 'console' | 'worker';
  /** A worker's: its live progress, published for the console. */
  onShardProgress?: (run: ShardRun, progress: SyncProgress) => void;
  /** A worker's: a shard failed, so the task's other shards (on any worker) stop. */
  onShardFailed?: (taskId: string) => void;
}

export class EngineManager {
  /** The engines this process runs, by run key: the task's id, or `taskId shard` for a worker's shard run. */
  private readonly workers = new Map<string, Worker>();
  private readonly restarts = new Map<string, Restarts>();
  /** Data verification runs (full: own processes; incremental: reported by the task workers). */
  readonly verification: Verifications;
  /** The tasks' performance history (TaskMetric rows plus the samples not written yet). */
  private readonly metrics: MetricsStore;
  /** Monitoring and Alerting (each task's advanced setting). */
  private readonly alerts = new TaskAlerts((alert) => this.deliverAlert(alert));
  /** Distributed mode, in the console: the queue the workers take shards from. */
  private readonly dispatcher?: QueueDispatcher;

  /** Test hook: the restart budget instead of each task's Retry Time for Other Issues. */
  private readonly restartBudgetMs?: number;

  constructor(private readonly opts: EngineManagerOptions = {}) {
    this.verification = new Verifications(records.log, { intervalMs: opts.verifyIntervalMs });
    this.metrics = new MetricsStore(opts.metricsFlushMs);
    this.restartBudgetMs = opts.restartBudgetMs;
    const url = opts.queueUrl ?? queueUrl();
    if (url && opts.role !== 'worker') this.dispatcher = new QueueDispatcher(url, (taskId, p) => this.record(taskId, p));
  }
  private readonly events = new EventEmitter().setMaxListeners(0);
  /** The time of each task's last sample: the history, the stream and the live view tell samples apart by time. */
  private readonly lastSampleAt = new Map<string, number>();

  /** Whether this console hands its tasks to workers (distributed mode) instead of running their engines. */
  get distributed(): boolean {
    return this.dispatcher !== undefined;
  }

  /** Distributed mode: the workers and their health; null when this console runs the engines itself. */
  async workerPool(): Promise<WorkerView[] | null> {
    return this.dispatcher ? this.dispatcher.workers() : null;
  }

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

  /** This process's runs of the task (one; a worker may run several shards of it). */
  private runsOf(taskId: string): Worker[] {
    return [...this.workers.values()].filter((w) => w.taskId === taskId);
  }

  isRunning(taskId: string): boolean {
    if (this.dispatcher) return this.dispatcher.liveProgress(taskId) !== undefined;
    return this.runsOf(taskId).length > 0;
  }

  /** The engine's latest progress report (counters of this run), while the task has an engine. */
  liveProgress(taskId: string): SyncProgress | undefined {
    if (this.dispatcher) return this.dispatcher.liveProgress(taskId);
    return this.workers.get(taskId)?.progress;
  }

  /** The PID of the task's engine process, while it has one here (diagnostics: which process to look at). */
  enginePid(taskId: string): number | undefined {
    return this.runsOf(taskId)[0]?.engine.pid;
  }

  /** Start (or Start again) a task: resumes from its checkpoint when it has one. */
  async start(taskId: string): Promise<void> {
    const existing = this.runsOf(taskId);
    if (this.dispatcher) return this.dispatcher.start(taskId);
    if (existing.length > 0) {
      for (const w of existing) w.engine.send({ type: 'resume' });
      await records.setStatus(taskId, 'Running');
      await records.log(taskId, 'info', 'started again');
      return;
    }
    await this.launch({ key: taskId, taskId, records: taskRunRecords(taskId) });
  }

  /**
   * A worker runs one shard of a task (its job): the engine resumes the shard from its checkpoint, its
   * writes fenced by the lease. Resolves once the run is over for this worker (RunOutcome).
   */
  runShard(shard: ShardRun): Promise<RunOutcome> {
    const { taskId } = shard.job;
    const key = `${taskId} ${shard.job.shard}`;
    return new Promise<RunOutcome>((resolve) => {
      const spec: RunSpec = {
        key, taskId, shard, finished: resolve,
        records: shardRunRecords(taskId, shard.job.shard, shard.lease, () => this.opts.onShardFailed?.(taskId)),
      };
      this.launch(spec).catch(async (err: unknown) => {
        if (err instanceof LeaseLostError) return resolve('lease-lost');
        if (databaseUnreachable(err)) {
          // Not the shard's fault: its job goes back on the queue and is taken again in a moment.
          console.error(`redis-dts worker: shard ${key}: the database did not answer (${describeError(err)}); handing the shard back`);
          await new Promise((r) => setTimeout(r, DATABASE_RETRY_MS));
          return resolve('handed-back');
        }
        await spec.records.markFailed(`the engine could not be started: ${describeError(err)}`).catch(() => undefined);
        resolve('finished');
      });
    });
  }

  /**
   * A worker that can no longer prove it holds the shard's job (its queue lock lapsed or could not be
   * renewed) stops the shard's engine at once, as if its lease were lost: another worker may take it over.
   */
  async dropShard(taskId: string, shard: string): Promise<void> {
    const key = `${taskId} ${shard}`;
    const worker = this.workers.get(key);
    if (worker) return this.fenced(worker, () => Promise.reject(new LeaseLostError(taskId, shard, 'may be taken over: this worker lost its hold on the job')));
    const pending = this.restarts.get(key);
    if (!pending) return;
    this.cancelRestart(key);
    pending.spec?.finished?.('lease-lost');
  }

  /** Starts the run's engine (a Start, a take-over, or a restart after the engine died). */
  private async launch(spec: RunSpec): Promise<void> {
    const { taskId, shard } = spec;
    const task = await records.findTaskToStart(taskId);
    if (!task) {
      if (shard) return spec.finished?.('finished');
      throw new TaskActionError('This task no longer exists.');
    }
    if (shard && !ACTIVE.includes(task.status as TaskStatus)) return spec.finished?.('finished'); // ended or released meanwhile
    const base = syncOptionsFor(task);
    const resumeShards = records.checkpointsOf(task.shards);
    const job = shard?.job;
    const options: SyncOptions = {
      ...base,
      spoolDir: this.spoolDir(taskId),
      resume: base.source && !job?.plan ? resumeShards[endpointAddress(base.source)] : undefined,
      resumeShards,
      ...(job?.plan ? { sourceCluster: true, clusterShards: { names: [job.shard], plan: job.plan } } : {}),
    };
    const checkpoints = job ? (resumeShards[job.shard] ? [resumeShards[job.shard]!] : []) : Object.values(resumeShards);
    if (!shard) await records.markStarting(taskId, task.startedAt);
    else await spec.records.setStatus('Initializing');
    const on = shard ? `[${job!.shard}] worker ${shard.workerId}: ` : '';
    await records.log(taskId, 'info', on + (options.resume || (job?.plan && checkpoints.length > 0)
      ? `starting from checkpoint offset ${checkpoints[0]?.offset ?? options.resume?.offset} (partial resync)`
      : !job && checkpoints.length > 0 && base.sourceCluster
        ? `starting each of ${checkpoints.length} source shard(s) from its checkpoint (partial resync)`
        : 'starting: full data migration first'));
    const incremental = options.type !== 'full' ? incrementalVerifyOptions(task) : undefined;
    if (incremental) this.verification.incrementalStarting(taskId, incremental, options.ttlExtendSeconds ?? 0);
    // Incremental only: the snapshot is not written, so the destination is not expected to equal the source after it.
    // A distributed task's shards finish their full migrations apart: Verify Now checks the whole task afterwards.
    const verifyAfterFull = !shard && options.type !== 'incremental' && verificationSettingsOf(task).full.enabled;
    const alertTask = { id: taskId, name: task.name, monitoring: parseStored(advancedSchema, task.advanced, DEFAULT_ADVANCED).monitoring };
    const history = new FullMigrationHistory(taskId, {
      checkpoint: options.resume ? { offset: options.resume.offset } : checkpoints.length > 0 && base.sourceCluster ? { shards: checkpoints.length } : null,
      writesSnapshot: options.type !== 'incremental',
      oneShard: job?.plan !== undefined && job.plan !== null,
    });
    this.spawn(spec, options, incremental, verifyAfterFull, alertTask, history, Number(task.evictedKeys));
  }

  private spawn(spec: RunSpec, options: SyncOptions, incrementalVerify: IncrementalVerifyOptions | undefined, verifyAfterFull: boolean,
    alertTask: AlertTask, history: FullMigrationHistory, evictedBefore: number): void {
    const { taskId } = spec;
    const worker: Worker = {
      taskId,
      spec,
      engine: new WorkerProcess({
        script: 'task-worker.ts',
        label: `engine manager (task ${spec.key})`,
        onMessage: (msg) => this.fenced(worker, () => this.onMessage(worker, msg)),
        onExit: ({ code, signal }) => this.fenced(worker, () => this.onExit(worker, code, signal)),
      }),
      dirty: false,
      stopping: false,
      leaseLost: false,
      timer: setInterval(() => void this.fenced(worker, () => this.persistProgress(worker)).catch((err: unknown) => {
        // The database did not answer (restarted, connections dropped): the next tick writes the newer figures.
        worker.dirty = true;
        console.error(`redis-dts: task ${spec.key}: its progress could not be saved:`, describeError(err));
      }), PERSIST_INTERVAL_MS),
      verifyAfterFull,
      pauseAcks: [],
      changedKeysWaiters: [],
      alertTask,
      history,
      evictedBefore,
    };
    worker.timer.unref();
    this.workers.set(spec.key, worker);
    const restarts = this.restarts.get(spec.key);
    if (restarts) restarts.startedAt = Date.now();
    worker.engine.send({ type: 'start', options, incrementalVerify });
  }

  /**
   * Runs a handler of a shard run's message or exit; a write refused because another worker took the
   * shard over stops the run at once, writing nothing more (the other worker resumes from the checkpoint).
   */
  private async fenced(worker: Worker, handler: () => Promise<void>): Promise<void> {
    if (worker.leaseLost) return;
    try {
      await handler();
    } catch (err) {
      if (!(err instanceof LeaseLostError)) throw err;
      worker.leaseLost = true;
      clearInterval(worker.timer);
      worker.engine.kill();
      await worker.engine.exited;
      if (this.workers.get(worker.spec.key) === worker) this.workers.delete(worker.spec.key);
      this.cancelRestart(worker.spec.key);
      console.error(`redis-dts worker: ${err.message}: stopped its engine`);
      worker.spec.finished?.('lease-lost');
    }
  }

  private async onMessage(worker: Worker, msg: WorkerMessage): Promise<void> {
    const { taskId, spec } = worker;
    switch (msg.type) {
      case 'paused':
        for (const ack of worker.pauseAcks.splice(0)) ack();
        return;
      case 'progress':
        worker.progress = msg.progress;
        worker.dirty = true;
        // A shard's progress is the console's to add up (its live view and history); the task's own is this run's.
        if (spec.shard) this.opts.onShardProgress?.(spec.shard, msg.progress);
        else this.record(taskId, msg.progress);
        {
          const rerun = await worker.history.progress(msg.progress);
          if (rerun) await spec.records.log('warn', rerun);
        }
        if (msg.progress.stage === 'incremental') await this.alerts.delay(worker.alertTask, msg.progress.delayMs);
        return;
      case 'stage': {
        const status = STAGE_STATUS[msg.stage];
        const fullDone = worker.stage === 'full' && (msg.stage === 'incremental' || msg.stage === 'paused' || msg.stage === 'completed');
        await worker.history.stage(worker.stage, msg.stage);
        worker.stage = msg.stage;
        if (fullDone && worker.verifyAfterFull) await this.verifyAfterFull(taskId);
        if (msg.stage === 'incremental') await spec.records.markIncrementalStarted();
        if (msg.stage === 'failed' || msg.stage === 'ended' || msg.stage === 'completed') return; // recorded at exit
        await this.persistProgress(worker);
        // The engine reports 'paused' as soon as it is asked to; a Pause action shows Paused on its answer (pause()).
        if (msg.stage === 'paused' && worker.pauseAcks.length > 0) return;
        await spec.records.setStatus(status);
        await this.alerts.status(worker.alertTask, status);
        return;
      }
      case 'log':
        await spec.records.log(msg.level, msg.message);
        return;
      case 'checkpoint':
        await spec.records.saveCheckpoint(msg);
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
    const { taskId, spec } = worker;
    clearInterval(worker.timer);
    if (this.workers.get(spec.key) === worker) this.workers.delete(spec.key);
    await this.persistProgress(worker);
    await this.metrics.flush();
    await this.verification.incrementalEnded(taskId);
    const stage = worker.progress?.stage;
    // Written is not held: the final word of a task whose destination evicted keys says so.
    const evictedKeys = this.evictedKeys(worker);
    const evicted = evictedKeys > 0 ? `, but the destination evicted ${evictedKeys} keys while it ran: it does not hold everything written` : '';
    if (this.shuttingDown) return spec.finished?.('handed-back');
    const current = await records.statusOf(taskId);
    if (current === undefined || current === 'Released') return spec.finished?.('finished');
    const r = spec.records;
    if (worker.failure && !worker.stopping) {
      await r.markFailed(worker.failure);
      await this.alerts.status(worker.alertTask, 'Failed', worker.failure);
    } else if (stage === 'completed') {
      await r.markFinished('Completed', evicted ? 'warn' : 'info', `full data migration completed${evicted}`);
    } else if (worker.stopping || stage === 'ended') {
      await r.markFinished('Ended', evicted ? 'warn' : 'info', `task ended${evicted}`);
    } else {
      const why = `the engine process stopped unexpectedly (${signal ?? `exit code ${code}`})`;
      if (await this.restartLater(worker, why)) return;
      const attempts = this.restarts.get(spec.key)?.attempts ?? 0;
      this.restarts.delete(spec.key);
      const final = attempts > 0 ? `${why}; gave up after ${attempts} restart(s): the Retry Time for Other Issues ran out` : why;
      await r.markFailed(final);
      await this.alerts.status(worker.alertTask, 'Failed', final);
    }
    spec.finished?.('finished');
  }

  /**
   * An engine that died is started again after a backoff, while the task's Retry Time for
   * Other Issues lasts (counted from the first exit of a run). False when it has run out.
   */
  private async restartLater(worker: Worker, why: string): Promise<boolean> {
    const { taskId, spec } = worker;
    const task = await records.findTask(taskId);
    if (!task) return false;
    const budget = this.restartBudgetMs ?? syncOptionsFor(task).otherRetryMs ?? DEFAULT_OTHER_RETRY_MS;
    const now = Date.now();
    let run = this.restarts.get(spec.key);
    if (!run || now - run.startedAt > STABLE_RUN_MS) run = { since: now, attempts: 0, startedAt: now };
    this.restarts.set(spec.key, run);
    run.spec = spec;
    if (now - run.since > budget) return false;
    run.attempts++;
    const delay = Math.min(RESTART_FIRST_MS * 2 ** (run.attempts - 1), RESTART_LONGEST_MS);
    await spec.records.markRetrying(why,
      `${why}; starting it again in ${delay / 1000} s (restart ${run.attempts}), from where the destination's record says it is`);
    await this.alerts.status(worker.alertTask, 'Retrying', why);
    this.scheduleRestart(worker, run, delay);
    return true;
  }

  /** The restart in `delay` ms; one the database prevents (it did not answer) is tried again as late. */
  private scheduleRestart(worker: Worker, run: Restarts, delay: number): void {
    run.timer = setTimeout(() => void this.fenced(worker, () => this.restartNow(worker.spec)).catch((err: unknown) => {
      console.error(`redis-dts: task ${worker.spec.key}: its restart could not be done (${describeError(err)}); trying again in ${delay / 1000} s`);
      if (this.restarts.get(worker.spec.key) === run && !this.shuttingDown) this.scheduleRestart(worker, run, delay);
    }), delay);
    run.timer.unref();
  }

  private async restartNow(spec: RunSpec): Promise<void> {
    const run = this.restarts.get(spec.key);
    if (run) run.timer = undefined;
    if (this.shuttingDown) return spec.finished?.('handed-back');
    if (this.workers.has(spec.key)) return;
    if ((await spec.records.status()) !== 'Retrying') return spec.finished?.('finished'); // ended or released meanwhile
    await this.launch(spec).catch(async (err: unknown) => {
      // Tried again later (scheduleRestart), not a reason to fail the task.
      if (err instanceof LeaseLostError || databaseUnreachable(err)) throw err;
      await spec.records.markFailed(`the engine could not be started again: ${describeError(err)}`);
      spec.finished?.('finished');
    });
  }

  /** A pending restart is dropped (End, Release, a Start by the user, shutdown). */
  private cancelRestart(key: string): void {
    const run = this.restarts.get(key);
    if (run?.timer) clearTimeout(run.timer);
    this.restarts.delete(key);
  }

  /** The pending restarts of the task's runs are dropped; their jobs are over (a shard run's End, Release). */
  private cancelRestarts(taskId: string): void {
    for (const key of [...this.restarts.keys()]) {
      if (key === taskId || key.startsWith(`${taskId} `)) this.cancelRestart(key);
    }
  }

  private async persistProgress(worker: Worker): Promise<void> {
    const p = worker.progress;
    if (!p || !worker.dirty) return;
    worker.dirty = false;
    // A run resumed by partial resync has no full migration of its own: the record keeps the completed one's figures.
    await worker.spec.records.saveProgress(p, { ranFull: FullMigrationHistory.ranFull(p), evictedKeys: this.evictedKeys(worker) });
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
    if (this.dispatcher) return this.dispatcher.pause(taskId, PAUSE_ACK_MS);
    const runs = this.runsOf(taskId);
    if (runs.length === 0) throw new TaskActionError('The task is not running, so it cannot be paused.');
    await Promise.all(runs.map(async (worker) => {
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
      await this.fenced(worker, () => worker.spec.records.setStatus('Paused'));
    }));
  }

  /** A paused task's runs here write again (a worker's share of a distributed task's Start). */
  resumeRuns(taskId: string): void {
    for (const w of this.runsOf(taskId)) w.engine.send({ type: 'resume' });
  }

  /**
   * The keys the task's stream wrote since its engine started (undefined: no engine here, or no answer in
   * time). `runKey` is the task's id, or `taskId shard` for one shard run of a worker; in distributed mode
   * the workers running the task's shards answer.
   */
  async changedKeys(runKey: string, timeoutMs = 10_000): Promise<{ keys: { db: number; key: Buffer }[]; overflow: boolean } | undefined> {
    if (this.dispatcher) return this.dispatcher.changedKeys(runKey, timeoutMs);
    const worker = this.workers.get(runKey);
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
    if (this.dispatcher) return this.dispatcher.control(taskId, 'limits');
    const runs = this.runsOf(taskId);
    if (runs.length === 0) return false;
    const task = await records.findTask(taskId);
    if (!task) return false;
    const { rps, throttle } = syncOptionsFor(task);
    for (const worker of runs) worker.engine.send({ type: 'limits', limits: { rps, throttle } });
    return true;
  }

  /** End: stop cleanly, write everything already read, delete the heartbeat key; keep the record. */
  async end(taskId: string): Promise<void> {
    this.cancelRestarts(taskId);
    if (this.dispatcher) return this.dispatcher.end(taskId, END_GRACE_MS);
    const runs = this.runsOf(taskId);
    if (runs.length === 0) {
      await records.markFinished(taskId, 'Ended', 'info', 'task ended');
      return;
    }
    await Promise.all(runs.map((worker) => {
      worker.stopping = true;
      return worker.engine.stop({ type: 'stop' }, END_GRACE_MS); // onExit has recorded Ended
    }));
  }

  /** A worker stops the task's runs it holds (End, or another shard failed); each records Ended. */
  async endRuns(taskId: string): Promise<void> {
    for (const [key, run] of [...this.restarts]) {
      if (run.spec?.taskId !== taskId) continue;
      this.cancelRestart(key);
      // Between two attempts: nothing runs, so the shard ends here.
      await run.spec.records.markFinished('Ended', 'info', 'task ended').catch(() => undefined);
      run.spec.finished?.('finished');
    }
    await Promise.all(this.runsOf(taskId).map((worker) => {
      worker.stopping = true;
      return worker.engine.stop({ type: 'stop' }, END_GRACE_MS);
    }));
  }

  /** Release: free the engine process and spool and hide the task from the list. */
  async release(taskId: string): Promise<void> {
    this.cancelRestarts(taskId);
    if (this.runsOf(taskId).length > 0 || this.dispatcher) await this.end(taskId);
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
        if (await detachRelayedDestination(syncOptionsFor(task).target)) await records.log(taskId, 'info', 'the destination is a master again (REPLICAOF NO ONE), with its own replication settings (masterauth, masteruser, tls-replication, repl-diskless-load)');
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

  /**
   * At server start: tasks that were running get their engine back, resuming from their checkpoints.
   * In distributed mode the workers hold them: a shard left without a job is handed to the queue again.
   */
  async recover(): Promise<void> {
    await this.verification.recover();
    if (this.dispatcher) return this.dispatcher.recover();
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
   * (Distributed mode: the workers keep running the tasks; the console only lets go of the queue.)
   * A worker shutting down hands its shards back the same way (each run's job resolves 'handed-back').
   */
  async shutdown(timeoutMs = 10_000): Promise<void> {
    this.shuttingDown = true;
    for (const [key, run] of [...this.restarts]) {
      this.cancelRestart(key);
      run.spec?.finished?.('handed-back');
    }
    // The last checkpoints are saved once each exit is handled.
    await Promise.all([...this.workers.values()].map((w) => w.engine.stop({ type: 'stop' }, timeoutMs)));
    await this.dispatcher?.close();
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

