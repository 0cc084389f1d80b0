/**
 * A task's engine process: runs one SyncTask and reports over IPC, so parsing a
 * snapshot or replaying a burst never stalls the console's event loop.
 * Started by lib/engine/manager.ts with `node --import tsx`.
 *
 * With Incremental Data Verification on, every key the stream writes is compared
 * a few seconds later (engine/verify IncrementalVerifier); keys that still differ
 * are reported as `verify-difference`, the counters as `verify-stats`.
 */
import { DtsError, describeError } from '../errors';
import { createSyncRunner, type SyncRunner } from '../sync/cluster-sync';
import type { SyncOptions } from '../sync/types';
import { IncrementalVerifier, type IncrementalStats } from '../verify';
import { ChangedKeys } from './changed-keys';
import type { IncrementalVerifyOptions, ManagerMessage, WorkerMessage } from './protocol';

if (!process.send) {
  process.stderr.write('task-worker must be started by the engine manager (with an IPC channel)\n');
  process.exit(2);
}

let task: SyncRunner | undefined;

/** To the manager; once it is gone (the console was killed) the task ends by itself (see 'disconnect'). */
function send(msg: WorkerMessage): void {
  if (process.connected) process.send?.(msg);
}

/** How often the verification counters are reported while they change. */
const STATS_INTERVAL_MS = 2_000;
/** At the end of the task, queued keys are checked for at most this long. */
const FINAL_CHECK_MS = 5_000;

/** Incremental Data Verification beside the task: started when the stream is first applied. */
class StreamVerification {
  private readonly verifier: IncrementalVerifier;
  private started?: Promise<boolean>;
  private timer?: NodeJS.Timeout;
  private lastStats = '';
  constructor(options: IncrementalVerifyOptions, sync: SyncOptions) {
    this.verifier = new IncrementalVerifier({
      ...options,
      source: sync.source!,
      target: sync.target,
      filter: sync.filter,
      ttlExtendSeconds: sync.ttlExtendSeconds,
    });
    this.verifier.on('difference', (conflict) => send({ type: 'verify-difference', conflict }));
    this.verifier.on('error', () => undefined); // counted in stats (errors, lastError)
  }

  /** Wires the verifier to a task: keys its stream writes, and its stage. */
  attach(task: SyncRunner): void {
    task.on('stage', (stage) => {
      if (stage === 'incremental') void this.start();
    });
  }

  noteWrite(db: number, key: Buffer): void {
    this.verifier.noteWrite(db, key);
  }

  private start(): Promise<boolean> {
    this.started ??= this.verifier.start().then(
      () => {
        send({ type: 'log', level: 'info', message: 'incremental data verification: each key the stream writes is compared a few seconds later' });
        this.timer = setInterval(() => this.report(false), STATS_INTERVAL_MS);
        this.timer.unref();
        return true;
      },
      (err: unknown) => {
        send({ type: 'log', level: 'warn', message: `incremental data verification could not start: ${describeError(err)}` });
        return false;
      },
    );
    return this.started;
  }

  private report(final: boolean): void {
    const stats: IncrementalStats = this.verifier.stats();
    const json = JSON.stringify(stats);
    if (!final && json === this.lastStats) return;
    this.lastStats = json;
    send({ type: 'verify-stats', stats, final });
  }

  /** The task stopped: check what is queued (bounded; not after a failure), report, close. */
  async finish(checkQueued: boolean): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.started && (await this.started)) {
      if (checkQueued) {
        await Promise.race([this.verifier.flush().catch(() => undefined), new Promise((r) => setTimeout(r, FINAL_CHECK_MS).unref())]);
      }
      this.report(true);
    }
    // stop() waits for a check in progress; the process leaves right after anyway.
    await Promise.race([this.verifier.stop(), new Promise((r) => setTimeout(r, 1_000).unref())]);
  }
}

let verification: StreamVerification | undefined;
/** Every key the stream writes, for a cut over's final check. */
const changed = new ChangedKeys();

async function start(options: SyncOptions, incrementalVerify: IncrementalVerifyOptions | undefined): Promise<void> {
  if (incrementalVerify && options.source && options.type !== 'full') {
    const v = new StreamVerification(incrementalVerify, options);
    verification = v;
    options = { ...options, onKeyWritten: (db, key) => {
      changed.note(db, key);
      v.noteWrite(db, key);
    } };
  } else {
    options = { ...options, onKeyWritten: (db, key) => changed.note(db, key) };
  }
  try {
    task = await createSyncRunner(options);
  } catch (err) {
    send({ type: 'failed', message: describeError(err), code: err instanceof DtsError ? err.code : undefined });
    setTimeout(() => process.exit(0), 50);
    return;
  }
  const t = task;
  // The counters first: a full migration shorter than the progress interval is then known as this run's
  // before its stage says the stream is reached (else it would read as a second full migration).
  t.on('stage', (stage) => {
    send({ type: 'progress', progress: t.progress });
    send({ type: 'stage', stage });
  });
  t.on('progress', (progress) => send({ type: 'progress', progress }));
  t.on('log', (level, message) => send({ type: 'log', level, message }));
  t.on('checkpoint', (c) => send({ type: 'checkpoint', ...c }));
  verification?.attach(t);
  t.run().then(
    async () => {
      await verification?.finish(true);
      send({ type: 'done', stage: t.progress.stage, progress: t.progress });
    },
    async (err: unknown) => {
      await verification?.finish(false).catch(() => undefined);
      send({ type: 'failed', message: describeError(err), code: err instanceof DtsError ? err.code : undefined });
    },
  ).finally(() => {
    // Let the last messages flush, then leave.
    setTimeout(() => process.exit(0), 50);
  });
}

process.on('message', (msg: ManagerMessage) => {
  switch (msg.type) {
    case 'start': {
      if (task) return;
      void start(msg.options, msg.incrementalVerify);
      return;
    }
    case 'pause':
      // Acknowledged once the task writes nothing more, so "Paused" is true when shown.
      void (task ? task.pause() : Promise.resolve()).then(() => send({ type: 'paused' }));
      return;
    case 'resume':
      task?.resume();
      return;
    case 'limits':
      task?.setLimits(msg.limits);
      return;
    case 'changed-keys':
      send({ type: 'changed-keys', keys: changed.list(), overflow: changed.overflow });
      return;
    case 'stop':
      if (task) void task.stop();
      else process.exit(0);
      return;
  }
});

// The console went away: end cleanly (the checkpoint lets it resume later).
process.on('disconnect', () => {
  if (task) void task.stop();
  else process.exit(0);
});
