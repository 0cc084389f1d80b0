/**
 * Running a task's precheck in the console process: status Prechecking while the
 * engine's items run, each result persisted as it completes, then Precheck Passed
 * or Precheck Failed. Ignoring an item re-decides the status.
 */
import crypto from 'node:crypto';
import { precheckItemInfo, runPrechecks } from '@/engine/precheck';
import { relayRefusal } from '@/engine/relay/relay-possible';
import { syncOptionsFor } from '@/lib/engine/task-options';
import { db } from '@/lib/db/client';
import { endpointSchema } from './endpoint';
import { toRedisEndpoint } from './endpoint-input';
import { advancedSchema, CONFLICT_MODES, DEFAULT_ADVANCED, objectsSchema, parseStored, SYNC_TYPES } from './options';
import { parsePrecheckDoc, summarizePrecheck, type PrecheckDoc, type PrecheckView } from './precheck-doc';
import { canPerform, isTaskStatus } from './status';

/** A precheck that cannot start, or an item that cannot be ignored; `code` for the REST API (lib/http/refusal.ts). */
export class PrecheckError extends Error {
  constructor(message: string, readonly code: 'not_found' | 'invalid_state' = 'invalid_state') {
    super(message);
  }
}

/** A precheck running in this process: its run id (the stored document's, while it is the latest) and its end. */
interface ActiveRun {
  runId: string;
  done: Promise<void>;
}

const globalRuns = globalThis as unknown as { dtsPrecheckActive?: Map<string, ActiveRun>; dtsPrecheckLocks?: Map<string, Promise<unknown>> };
const runs = (globalRuns.dtsPrecheckActive ??= new Map());
const locks = (globalRuns.dtsPrecheckLocks ??= new Map());

/** Serializes read-modify-write of one task's precheck document within this process. */
function withLock<T>(taskId: string, fn: () => Promise<T>): Promise<T> {
  const prev = locks.get(taskId) ?? Promise.resolve();
  const next = prev.then(fn, fn);
  locks.set(taskId, next.catch(() => undefined));
  return next;
}

async function updateDoc(taskId: string, change: (doc: PrecheckDoc) => PrecheckDoc | null, extra: (doc: PrecheckDoc) => { status?: string } = () => ({})): Promise<void> {
  await withLock(taskId, async () => {
    const task = await db().task.findUniqueOrThrow({ where: { id: taskId }, select: { precheck: true } });
    const doc = parsePrecheckDoc(task.precheck);
    if (!doc) return;
    const next = change(doc);
    if (!next) return;
    await db().task.update({ where: { id: taskId }, data: { precheck: JSON.stringify(next), ...extra(next) } });
  });
}

function decideStatus(doc: PrecheckDoc): 'PrecheckPassed' | 'PrecheckFailed' {
  return summarizePrecheck(doc).canProceed ? 'PrecheckPassed' : 'PrecheckFailed';
}

/** Starts (or restarts) the precheck of a task; returns at once, results stream into Task.precheck. */
export async function startPrecheck(taskId: string): Promise<void> {
  const task = await db().task.findUnique({ where: { id: taskId } });
  if (!task) throw new PrecheckError('The task does not exist.', 'not_found');
  // Already running, and its results are the ones stored: nothing to start. A run whose document was
  // replaced meanwhile (the settings saved again) writes nowhere any more, so a new one starts.
  const active = runs.get(taskId);
  if (active && parsePrecheckDoc(task.precheck)?.runId === active.runId) return;
  const status = isTaskStatus(task.status) ? task.status : 'Failed';
  if (!canPerform('edit', status) && status !== 'Prechecking') {
    throw new PrecheckError(`A task that is ${status} cannot be prechecked again.`);
  }
  const source = endpointSchema.parse(JSON.parse(task.source));
  const target = endpointSchema.parse(JSON.parse(task.target));
  const objects = objectsSchema.parse(JSON.parse(task.objects));
  const syncTypes = SYNC_TYPES.find((s) => s === task.syncTypes) ?? 'full+incremental';
  const conflictMode = CONFLICT_MODES.find((c) => c === task.conflictMode) ?? 'block';
  const { readMethod, writeMethod } = parseStored(advancedSchema, task.advanced, DEFAULT_ADVANCED);
  const methods = { readMethod, writeMethod, relayRefusal: writeMethod === 'relay' ? relayRefusal(syncOptionsFor(task)) : undefined };
  const runId = crypto.randomUUID();
  const doc: PrecheckDoc = {
    runId, startedAt: new Date().toISOString(),
    items: precheckItemInfo(methods).map((i) => ({ id: i.id, name: i.name, status: 'pending', reason: '', details: [], ignorable: i.ignorable, ignored: false })),
  };
  await withLock(taskId, () => db().task.update({ where: { id: taskId }, data: { status: 'Prechecking', precheck: JSON.stringify(doc) } }));
  await db().taskLog.create({ data: { taskId, level: 'info', message: 'precheck started' } });

  const run = (async () => {
    try {
      await runPrechecks(
        { source: toRedisEndpoint(source), target: toRedisEndpoint(target), options: { syncTypes, conflictMode, dbs: objects.dbs, ...methods } },
        {
          onResult: (r) => updateDoc(taskId, (d) => (d.runId !== runId ? null : {
            ...d, items: d.items.map((i) => (i.id === r.id ? { ...i, status: r.status, reason: r.reason, details: r.details, fix: r.fix, ignored: false } : i)),
          })),
        },
      );
    } catch (err) {
      await updateDoc(taskId, (d) => (d.runId !== runId ? null : {
        ...d, items: d.items.map((i) => (i.status === 'pending' ? { ...i, status: 'failed', reason: `The precheck stopped: ${(err as Error).message}` } : i)),
      }));
    }
    await updateDoc(taskId, (d) => (d.runId !== runId ? null : { ...d, finishedAt: new Date().toISOString() }), (d) => ({ status: decideStatus(d) }));
    const after = await db().task.findUnique({ where: { id: taskId }, select: { status: true } });
    await db().taskLog.create({ data: { taskId, level: after?.status === 'PrecheckPassed' ? 'info' : 'warn', message: `precheck finished: ${after?.status}` } });
  })().finally(() => {
    if (runs.get(taskId)?.runId === runId) runs.delete(taskId);
  });
  runs.set(taskId, { runId, done: run });
}

/**
 * At console start: a precheck that was running when the console stopped has no run any more and
 * would show "in progress" forever. Its unchecked items fail, saying why, and its status is decided.
 */
export async function recoverPrechecks(): Promise<void> {
  const tasks = await db().task.findMany({ where: { status: 'Prechecking' }, select: { id: true } });
  for (const { id } of tasks) {
    if (runs.has(id)) continue;
    await updateDoc(id, (d) => (d.finishedAt ? null : {
      ...d,
      finishedAt: new Date().toISOString(),
      items: d.items.map((i) => (i.status === 'pending'
        ? { ...i, status: 'failed', reason: 'Not checked: the console restarted while the precheck ran. Run the precheck again.' }
        : i)),
    }), (d) => ({ status: decideStatus(d) }));
    // A task in Prechecking without a document (none was written) goes back to where a precheck can start.
    await db().task.updateMany({ where: { id, status: 'Prechecking', precheck: '{}' }, data: { status: 'NotStarted' } });
    await db().taskLog.create({ data: { taskId: id, level: 'warn', message: 'precheck stopped: the console restarted while it ran; run it again' } });
  }
}

/**
 * Runs the precheck of a Not Started task to its end (Start from the list): resolves with
 * the status it decided, Precheck Passed or Precheck Failed.
 */
export async function precheckToEnd(taskId: string): Promise<string> {
  await startPrecheck(taskId);
  await precheckRun(taskId);
  const task = await db().task.findUniqueOrThrow({ where: { id: taskId }, select: { status: true } });
  return task.status;
}

/** Marks a Warning or Failed item as ignored (never connectivity, authentication or permission items). */
export async function ignorePrecheckItem(taskId: string, itemId: string): Promise<void> {
  let problem: string | undefined;
  let code: 'not_found' | 'invalid_state' = 'invalid_state';
  if (!(await db().task.findUnique({ where: { id: taskId }, select: { id: true } }))) throw new PrecheckError('The task does not exist.', 'not_found');
  await updateDoc(taskId, (d) => {
    const item = d.items.find((i) => i.id === itemId);
    if (!d.finishedAt) problem = 'Wait for the precheck to finish.';
    else if (!item) {
      problem = 'No such precheck item.';
      code = 'not_found';
    }
    else if (!item.ignorable) problem = `${item.name} cannot be ignored: fix it and run the precheck again.`;
    else if (item.status === 'passed' || item.status === 'pending') problem = `${item.name} has nothing to ignore.`;
    if (problem) return null;
    return { ...d, items: d.items.map((i) => (i.id === itemId ? { ...i, ignored: true } : i)) };
  }, (d) => ({ status: decideStatus(d) }));
  if (problem) throw new PrecheckError(problem, code);
  const task = await db().task.findUnique({ where: { id: taskId }, select: { precheck: true } });
  const name = parsePrecheckDoc(task?.precheck ?? '{}')?.items.find((i) => i.id === itemId)?.name ?? itemId;
  await db().taskLog.create({ data: { taskId, level: 'warn', message: `precheck item ignored by the user: ${name}` } });
}

export async function readPrecheck(taskId: string): Promise<PrecheckView | null> {
  const task = await db().task.findUnique({ where: { id: taskId }, select: { id: true, status: true, precheck: true } });
  if (!task) return null;
  const doc = parsePrecheckDoc(task.precheck);
  return { taskId: task.id, status: task.status, doc, summary: summarizePrecheck(doc) };
}

/** For tests and shutdown: the promise of a running precheck, if any. */
export function precheckRun(taskId: string): Promise<void> | undefined {
  return runs.get(taskId)?.done;
}
