/**
 * `npm run sync -- --source redis://… --target redis://…`: one synchronization
 * task, headless. Progress goes to stderr (or NDJSON events to stdout with
 * --json). Full-only tasks and --rdb exit 0 when done; otherwise the task runs
 * until SIGINT/SIGTERM, writes what it has read, and exits 0. A destination that
 * evicted keys meanwhile makes that exit 3. Any failure exits 1 with one line saying why.
 */
import { describeError } from '../errors';
import { createSyncRunner, type SyncRunner } from '../sync/cluster-sync';
import type { SyncOptions, SyncProgress } from '../sync/types';
import { deleteTaskRecords } from '../sync/destination-reset';
import { CheckpointFile } from './checkpoint-file';
import { parseCliRun, USAGE, UsageError, type CliRun } from './options';
import { runPrecheckCli } from './precheck';

/** The task finished, but the destination evicted keys while it ran (docs/cli.md). */
const EXIT_KEYS_EVICTED = 3;

/** The delay under which the CLI calls a caught-up task safe to cut over. */
const SAFE_DELAY_MS = 2_000;

function progressLine(p: SyncProgress): string {
  const parts = [`[${p.stage}]`];
  if (p.stage === 'full' || p.stage === 'waiting-snapshot') {
    parts.push(`${p.fullPercent.toFixed(1)}%`, `keys ${p.keysDone}${p.keysTotal ? `/${p.keysTotal}` : ''}`,
      `${(p.rdbBytesDone / 1048576).toFixed(1)} MB`);
  } else {
    parts.push(`offset ${p.receivedOffset}`, `applied ${p.commandsApplied}`);
    if (p.delayMs !== null) parts.push(`delay ${p.delayMs} ms`);
    // Everything received is acknowledged and the heartbeat is fresh: the destination holds the source now.
    if (p.stage === 'incremental' && p.delayMs !== null && p.delayMs < SAFE_DELAY_MS && p.checkpoint?.offset === p.receivedOffset) {
      parts.push('caught up: safe to cut over');
    }
  }
  parts.push(`${p.rps} cmd/s`);
  if (p.evictedKeys > 0) parts.push(`EVICTED ${p.evictedKeys} keys on the destination`);
  return parts.join('  ');
}

async function main(): Promise<number> {
  // --precheck: print the prechecks of the task and exit (1 when an item failed); nothing starts.
  if (process.argv.includes('--precheck')) return runPrecheckCli(process.argv.slice(2));
  const json = process.argv.includes('--json');
  let run: CliRun;
  try {
    run = parseCliRun(process.argv.slice(2));
  } catch (err) {
    if (err instanceof UsageError) {
      if (err.message) process.stderr.write(`error: ${err.message}\n\n`);
      process.stderr.write(USAGE);
      return err.message ? 2 : 0;
    }
    process.stderr.write(`error: ${describeError(err)}\n`);
    return 2;
  }

  const opts: SyncOptions = run.options;
  let saved: CheckpointFile | undefined;
  try {
    // Written before anything else: a run killed at once is still the same task the next time.
    if (run.checkpointFile) (saved = new CheckpointFile(run.checkpointFile, opts.taskId, opts.resumeShards)).write();
  } catch (err) {
    process.stderr.write(`error: --checkpoint-file: cannot write ${run.checkpointFile}: ${describeError(err)}\n`);
    return 2;
  }
  let task: SyncRunner;
  try {
    task = await createSyncRunner(opts);
  } catch (err) {
    process.stderr.write(`error: ${describeError(err)}\n`);
    return 1;
  }
  const emit = (event: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(event)}\n`);
  task.on('log', (level, message) => {
    if (json) emit({ type: 'log', level, message, time: new Date().toISOString() });
    else process.stderr.write(`${level === 'info' ? '' : `${level}: `}${message}\n`);
  });
  task.on('stage', (stage) => {
    if (json) emit({ type: 'stage', stage, time: new Date().toISOString() });
  });
  task.on('progress', (p) => {
    if (json) emit({ type: 'progress', ...p });
    else process.stderr.write(`${progressLine(p)}\n`);
  });
  // At-least-once writes (a cluster destination): keys a second run may have changed, for a check by key.
  task.on('suspect', (keys) => {
    if (json) emit({ type: 'suspect', keys });
  });
  task.on('checkpoint', (c) => {
    saved?.update(c);
    if (json) emit({ type: 'checkpoint', ...c });
  });

  let signalled = false;
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      if (signalled) process.exit(130);
      signalled = true;
      process.stderr.write('stopping: writing what was already read…\n');
      void task.stop();
    });
  }

  try {
    await task.run();
    const p = task.progress;
    // Where a later run resumes from (--resume is the console's; the CLI reports it).
    const checkpoint = p.replid && p.checkpoint ? { replid: p.replid, offset: p.checkpoint.offset, db: p.checkpoint.db } : null;
    if (json) emit({ type: 'done', stage: p.stage, keys: p.keysDone, offset: p.receivedOffset, checkpoint, evictedKeys: p.evictedKeys });
    else {
      const at = checkpoint ? `; checkpoint ${checkpoint.replid} ${checkpoint.offset} (DB ${checkpoint.db})` : '';
      // Written is not held: a destination that evicted keys must not read as a clean finish.
      const lost = p.evictedKeys > 0 ? `, but the destination evicted ${p.evictedKeys} keys: it does not hold everything written` : '';
      process.stderr.write(`done (${p.stage}${lost}): ${p.keysDone} keys in the last full migration, ${p.commandsApplied} commands replayed${at}\n`);
    }
    // A task no later run can name (a random id, no checkpoint file) leaves no record behind.
    if (!run.namedTask && opts.source) await deleteTaskRecords(opts.target, opts.taskId).catch(() => undefined);
    return p.evictedKeys > 0 ? EXIT_KEYS_EVICTED : 0;
  } catch (err) {
    const line = describeError(err);
    if (json) emit({ type: 'error', message: line });
    process.stderr.write(`error: ${line}\n`);
    return 1;
  }
}

main().then((code) => process.exit(code));
