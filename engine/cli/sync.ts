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
import { CliOutput } from './output';
import { runPrecheckCli } from './precheck';
import { chooseWriteMethod } from '../relay/choose';

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
  parts.push(`${Math.round(p.rps)} cmd/s`);
  if (p.evictedKeys > 0) parts.push(`EVICTED ${p.evictedKeys} keys on the destination`);
  return parts.join('  ');
}

const argv = process.argv.slice(2);
/** Every line this CLI prints goes through it: no password in any message. */
const output = new CliOutput(argv);

async function main(): Promise<number> {
  // --precheck: print the prechecks of the task and exit (1 when an item failed); nothing starts.
  if (argv.includes('--precheck')) return runPrecheckCli(argv, output);
  const json = argv.includes('--json');
  let run: CliRun;
  try {
    run = parseCliRun(argv);
    output.secret(run.options.source?.password, run.options.target.password);
  } catch (err) {
    if (err instanceof UsageError) {
      if (err.message) output.err(`error: ${err.message}\n\n`);
      output.err(USAGE);
      return err.message ? 2 : 0;
    }
    output.err(`error: ${describeError(err)}\n`);
    return 2;
  }

  const opts: SyncOptions = run.options;
  let saved: CheckpointFile | undefined;
  try {
    // Written before anything else: a run killed at once is still the same task the next time.
    if (run.checkpointFile) (saved = new CheckpointFile(run.checkpointFile, opts.taskId, opts.resumeShards)).write();
  } catch (err) {
    output.err(`error: --checkpoint-file: cannot write ${run.checkpointFile}: ${describeError(err)}\n`);
    return 2;
  }
  if (run.chooseWriteMethod) {
    const choice = await chooseWriteMethod(opts);
    opts.writeMethod = choice.method;
    if (json) output.json({ type: 'log', level: 'info', message: choice.reason, time: new Date().toISOString() });
    else output.err(`${choice.reason}\n`);
  }
  let task: SyncRunner;
  try {
    task = await createSyncRunner(opts);
  } catch (err) {
    output.err(`error: ${describeError(err)}\n`);
    return 1;
  }
  const emit = (event: Record<string, unknown>) => output.json(event);
  if (opts.read === 'scan') {
    if (json) emit({ type: 'mode', read: 'scan', time: new Date().toISOString() });
    else output.err('Scan mode: the source is read by SCAN and keyspace notifications, not replication; '
      + 'a lost subscription, an overflowing queue or a FLUSHDB is healed by a re-scan, and a task started again scans again (docs/scan-mode.md)\n');
  }
  task.on('log', (level, message) => {
    if (json) emit({ type: 'log', level, message, time: new Date().toISOString() });
    else output.err(`${level === 'info' ? '' : `${level}: `}${message}\n`);
  });
  task.on('stage', (stage) => {
    if (json) emit({ type: 'stage', stage, time: new Date().toISOString() });
  });
  task.on('progress', (p) => {
    if (json) emit({ type: 'progress', ...p });
    else output.err(`${progressLine(p)}\n`);
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
      output.err('stopping: writing what was already read…\n');
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
      output.err(`done (${p.stage}${lost}): ${p.keysDone} keys in the last full migration, ${p.commandsApplied} commands replayed${at}\n`);
    }
    // A task no later run can name (a random id, no checkpoint file) leaves no record behind.
    if (!run.namedTask && opts.source && opts.writeMethod !== 'relay') await deleteTaskRecords(opts.target, opts.taskId).catch(() => undefined);
    return p.evictedKeys > 0 ? EXIT_KEYS_EVICTED : 0;
  } catch (err) {
    const line = describeError(err);
    if (json) emit({ type: 'error', message: line });
    output.err(`error: ${line}\n`);
    return 1;
  }
}

main().then((code) => process.exit(code), (err: unknown) => {
  output.err(`error: ${describeError(err)}\n`);
  process.exit(1);
});
