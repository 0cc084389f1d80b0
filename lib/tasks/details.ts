/**
 * The task details read model: what `/sync-tasks/[id]` shows and what its live
 * stream (`/api/tasks/[id]/events`, server-sent events) pushes. Everything here is
 * plain JSON (BigInt columns become numbers) and holds no secret: stored password
 * ciphertexts never leave the server.
 */
import { db } from '@/lib/db/client';
import { billableMs, estimates, hourlyPrices, type ClassEstimate } from '@/lib/catalog/billing';
import { LINK_SPECS, maxRpsLabel } from '@/lib/catalog/link-specs';
import { regionById } from '@/lib/catalog/regions';
import { engineManager } from '@/lib/engine/manager';
import { activeAlerts } from '@/lib/engine/alerts';
import { parseCutoverReport, type CutoverReport } from '@/lib/engine/cutover';
import type { TaskSample } from '@/lib/engine/metrics-history';
import { encryptionLabel, endpointSchema } from './endpoint';
import {
  advancedSchema, CONFLICT_MODE_LABEL, CONFLICT_MODES, DEFAULT_ADVANCED, DEFAULT_OBJECTS, DEFAULT_VERIFICATION, objectsSchema,
  parseStored, SYNC_TYPE_LABEL, SYNC_TYPES, verificationSchema, type AdvancedSettings, type SyncType, type VerificationSettings,
} from './options';
import { parsePrecheckDoc, summarizePrecheck, type PrecheckDoc, type PrecheckSummary } from './precheck-doc';
import { availableControls, statusOf, upgradeTargets, type TaskControl } from './queries';
import type { TaskStatus } from './status';
import { readVerificationOverview } from './verification';
import type { VerificationOverview } from './verification-view';

/** One point of the live metrics (the engine manager's sample). */
export type LiveSample = TaskSample;

export interface EndpointView {
  databaseType: string;
  accessMethod: 'cloud' | 'self-managed';
  instanceId: string | null;
  host: string;
  port: number;
  mode: 'standalone' | 'cluster';
  authMethod: 'password' | 'password-free';
  username: string | null;
  /** Whether a password is stored (its value never leaves the server). */
  hasPassword: boolean;
  /** Encryption in words, with how the certificate is checked (says a CA is set, never shows it). */
  encryption: string;
}

export interface TaskConfigView {
  source: EndpointView | null;
  target: EndpointView | null;
  syncTypes: SyncType;
  syncTypesLabel: string;
  conflictModeLabel: string;
  dbs: { db: number; targetDb: number }[];
  includePrefixes: string[];
  excludePrefixes: string[];
  advanced: AdvancedSettings;
  verification: VerificationSettings;
  billingMethod: string;
  resourceGroup: string;
  regionLabel: string;
}

export interface ShardView {
  name: string;
  stage: string;
  replid: string | null;
  /** The checkpoint: the last source offset the destination acknowledged. */
  offset: number | null;
  db: number;
  updatedAt: string;
  /** Distributed mode: the worker running the shard, the shard's own status and why it stopped. */
  workerId: string | null;
  status: string | null;
  message: string | null;
}

/** The parts of a task that change while it runs; pushed as `state` events. */
export interface TaskLiveState {
  id: string;
  name: string;
  region: string;
  status: TaskStatus;
  errorMessage: string | null;
  syncTypes: SyncType;
  instanceClass: string;
  instanceClassRate: string;
  controls: TaskControl[];
  upgradeTargets: string[];
  fullPercent: number;
  keysDone: number;
  keysTotal: number;
  bytesDone: number;
  delayMs: number | null;
  /** Keys the destination evicted while the task ran (it does not hold them any more). */
  evictedKeys: number;
  /**
   * How each write of the stream reaches the destination (docs/reliability.md): exactly once into a
   * standalone destination (units with the task's record), at least once into a cluster.
   */
  delivery: 'exactly-once' | 'at-least-once';
  /** The full migration across runs (lib/engine/full-history.ts): when it last completed, ran again and why, resumed by partial resync. */
  fullCompletedAt: string | null;
  fullRerunAt: string | null;
  fullRerunReason: string | null;
  resumedAt: string | null;
  createdAt: string;
  purchasedAt: string | null;
  startedAt: string | null;
  endedAt: string | null;
  releasedAt: string | null;
  shards: ShardView[];
  precheck: PrecheckDoc | null;
  precheckSummary: PrecheckSummary;
  /** Data verification: the runs (newest first), the one in progress, whether Verify Now is possible. */
  verification: VerificationOverview;
  /** Incremental synchronization is billed by duration: the time so far, and what it costs per priced class. */
  billing: { billableMs: number | null; currency: string; estimates: ClassEstimate[] };
  /** Monitoring and Alerting: what the task's state raises now. */
  alerts: string[];
  /** The cut over's record, once the task was cut over. */
  cutover: CutoverReport | null;
}

export type LogLevel = 'info' | 'warn' | 'error';

export interface TaskLogEntry {
  id: number;
  level: LogLevel;
  message: string;
  at: string;
}

/** What the live view holds: state, the newest logs first, the performance history oldest first (lib/engine/metrics-history.ts). */
export interface TaskLiveView {
  state: TaskLiveState;
  logs: TaskLogEntry[];
  samples: LiveSample[];
}

export interface TaskDetails extends TaskLiveView {
  config: TaskConfigView;
}

/** Events of the live stream, by SSE event name. */
export type TaskStreamEvent =
  | { type: 'snapshot'; data: TaskLiveView }
  | { type: 'state'; data: TaskLiveState }
  | { type: 'logs'; data: TaskLogEntry[] }
  | { type: 'sample'; data: LiveSample };

/** Events queued for a reader that does not read before the stream gives up on it. */
const MAX_UNREAD_EVENTS = 1000;

/** Log lines kept in the view (newest first). */
export const LOG_LIMIT = 200;

function iso(d: Date | null): string | null {
  return d ? d.toISOString() : null;
}

function syncTypesOf(raw: string): SyncType {
  return SYNC_TYPES.find((s) => s === raw) ?? 'full+incremental';
}

function endpointView(json: string): EndpointView | null {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    return null;
  }
  const r = endpointSchema.safeParse(raw);
  if (!r.success) return null;
  const e = r.data;
  return {
    databaseType: e.databaseType, accessMethod: e.accessMethod, instanceId: e.instanceId ?? null, host: e.host, port: e.port,
    mode: e.mode, authMethod: e.authMethod, username: e.username ?? null, hasPassword: Boolean(e.passwordEnc), encryption: encryptionLabel(e),
  };
}

function levelOf(raw: string): LogLevel {
  return raw === 'error' || raw === 'warn' ? raw : raw === 'warning' ? 'warn' : 'info';
}

type TaskRow = NonNullable<Awaited<ReturnType<typeof loadTaskRow>>>;

function loadTaskRow(taskId: string) {
  return db().task.findUnique({ where: { id: taskId }, include: { shards: { orderBy: { name: 'asc' } } } });
}

async function toState(t: TaskRow): Promise<TaskLiveState> {
  const status = statusOf(t.status);
  const verification = await readVerificationOverview(t.id, status);
  const precheck = parsePrecheckDoc(t.precheck);
  const spec = LINK_SPECS.find((s) => s.id === t.instanceClass);
  return {
    id: t.id,
    name: t.name,
    region: t.region,
    status,
    errorMessage: t.errorMessage,
    syncTypes: syncTypesOf(t.syncTypes),
    instanceClass: t.instanceClass,
    instanceClassRate: spec ? maxRpsLabel(spec.maxRps) : 'unknown rate',
    controls: availableControls(status, t.instanceClass),
    upgradeTargets: upgradeTargets(t.instanceClass),
    fullPercent: t.fullProgress,
    keysDone: Number(t.keysDone),
    keysTotal: Number(t.keysTotal),
    bytesDone: Number(t.bytesDone),
    delayMs: t.delayMs,
    evictedKeys: Number(t.evictedKeys),
    delivery: endpointView(t.target)?.mode === 'cluster' ? 'at-least-once' : 'exactly-once',
    fullCompletedAt: iso(t.fullCompletedAt),
    fullRerunAt: iso(t.fullRerunAt),
    fullRerunReason: t.fullRerunReason,
    resumedAt: iso(t.resumedAt),
    createdAt: t.createdAt.toISOString(),
    purchasedAt: iso(t.purchasedAt),
    startedAt: iso(t.startedAt),
    endedAt: iso(t.endedAt),
    releasedAt: iso(t.releasedAt),
    shards: t.shards.map((s) => ({
      name: s.name, stage: s.stage, replid: s.replid, offset: s.offset === null ? null : Number(s.offset), db: s.db,
      updatedAt: s.updatedAt.toISOString(), workerId: s.workerId, status: s.status, message: s.message,
    })),
    precheck,
    precheckSummary: summarizePrecheck(precheck),
    verification,
    billing: billingOf(t),
    alerts: activeAlerts(parseStored(advancedSchema, t.advanced, DEFAULT_ADVANCED).monitoring, status, t.delayMs),
    cutover: parseCutoverReport(t.cutover),
  };
}

function billingOf(t: TaskRow): TaskLiveState['billing'] {
  const ms = billableMs(t);
  const priced = hourlyPrices();
  return { billableMs: ms, currency: priced?.currency ?? '', estimates: ms === null || !priced ? [] : estimates(ms, priced.prices) };
}

function toConfig(t: TaskRow): TaskConfigView {
  const objects = parseStored(objectsSchema, t.objects, DEFAULT_OBJECTS);
  const syncTypes = syncTypesOf(t.syncTypes);
  const conflict = CONFLICT_MODES.find((c) => c === t.conflictMode) ?? 'block';
  return {
    source: endpointView(t.source),
    target: endpointView(t.target),
    syncTypes,
    syncTypesLabel: SYNC_TYPE_LABEL[syncTypes],
    conflictModeLabel: CONFLICT_MODE_LABEL[conflict],
    dbs: objects.dbs,
    includePrefixes: objects.keyPrefixes.include,
    excludePrefixes: objects.keyPrefixes.exclude,
    advanced: parseStored(advancedSchema, t.advanced, DEFAULT_ADVANCED),
    verification: parseStored(verificationSchema, t.verification, DEFAULT_VERIFICATION),
    billingMethod: t.billingMethod,
    resourceGroup: t.resourceGroup,
    regionLabel: regionById(t.region).label,
  };
}

/** The live state of a task, or null when there is no such task. */
export async function readTaskState(taskId: string): Promise<TaskLiveState | null> {
  const t = await loadTaskRow(taskId);
  return t ? await toState(t) : null;
}

/** The task's log, newest first; with `afterId`, only the lines written after that one. */
export async function readTaskLogs(taskId: string, afterId = 0, limit = LOG_LIMIT): Promise<TaskLogEntry[]> {
  const rows = await db().taskLog.findMany({
    where: { taskId, ...(afterId > 0 ? { id: { gt: afterId } } : {}) },
    orderBy: { id: 'desc' },
    take: limit,
  });
  return rows.map((l) => ({ id: l.id, level: levelOf(l.level), message: l.message, at: l.createdAt.toISOString() }));
}

/** Everything the details page shows, or null when there is no such task. */
export async function getTaskDetails(taskId: string): Promise<TaskDetails | null> {
  const t = await loadTaskRow(taskId);
  if (!t) return null;
  const logs = await readTaskLogs(taskId);
  return { state: await toState(t), config: toConfig(t), logs, samples: await engineManager().history(taskId) };
}

/** The task's settings as the details page shows them (no secret), or null when there is no such task. */
export async function readTaskConfig(taskId: string): Promise<TaskConfigView | null> {
  const t = await loadTaskRow(taskId);
  return t ? toConfig(t) : null;
}

/** The JSON the details route answers with (no config: it only changes through an upgrade, which is in the state). */
export async function readTaskLiveView(taskId: string): Promise<TaskLiveView | null> {
  const state = await readTaskState(taskId);
  if (!state) return null;
  return { state, logs: await readTaskLogs(taskId), samples: await engineManager().history(taskId) };
}

export function encodeEvent(event: TaskStreamEvent): string {
  return `event: ${event.type}\ndata: ${JSON.stringify(event.data)}\n\n`;
}

export interface TaskStreamOptions {
  /** How often the task record and its log are read for changes. */
  pollMs?: number;
  /** A comment line is sent this often so proxies keep the connection open. */
  keepAliveMs?: number;
  /** The request's signal: the stream stops when the browser goes away. */
  signal?: AbortSignal;
  /**
   * Whether the reader may still see the task (its session still live: not signed out, revoked, expired,
   * its user not disabled), asked every `recheckMs`; the stream ends as soon as it says no.
   */
  stillAllowed?: () => Promise<boolean>;
  /** How often `stillAllowed` is asked (default 5 s). */
  recheckMs?: number;
}

/**
 * The live stream of one task as server-sent events: a `snapshot` first (state,
 * logs, the task's performance history), then each new engine `sample` as it comes,
 * a `state` event whenever the record changes and a `logs` event with new lines.
 * Returns null when there is no such task.
 */
export async function openTaskEventStream(taskId: string, opts: TaskStreamOptions = {}): Promise<ReadableStream<Uint8Array> | null> {
  const pollMs = opts.pollMs ?? 1000;
  const keepAliveMs = opts.keepAliveMs ?? 15_000;
  const manager = engineManager();
  // Subscribe before reading the history, so no sample falls between the two.
  const early: LiveSample[] = [];
  let forward: ((s: LiveSample) => void) | null = null;
  const unsubscribe = manager.subscribe(taskId, (s) => (forward ? forward(s) : early.push(s)));
  const snapshot = await readTaskLiveView(taskId).catch((err: unknown) => {
    unsubscribe();
    throw err;
  });
  if (!snapshot) {
    unsubscribe();
    return null;
  }
  const encoder = new TextEncoder();
  let closed = false;
  let poller: NodeJS.Timeout | undefined;
  let keepAlive: NodeJS.Timeout | undefined;
  let recheck: NodeJS.Timeout | undefined;
  const stop = () => {
    if (closed) return;
    closed = true;
    unsubscribe();
    clearInterval(poller);
    clearInterval(keepAlive);
    clearInterval(recheck);
    opts.signal?.removeEventListener('abort', stop);
  };

  return new ReadableStream<Uint8Array>({
    start(controller) {
      const write = (text: string) => {
        if (closed) return;
        // Nobody has read for minutes (a reader that went away without cancelling): stop.
        if ((controller.desiredSize ?? 0) < -MAX_UNREAD_EVENTS) return finish();
        try {
          controller.enqueue(encoder.encode(text));
        } catch {
          stop();
        }
      };
      const send = (event: TaskStreamEvent) => write(encodeEvent(event));
      function finish(): void {
        if (closed) return;
        stop();
        try {
          controller.close();
        } catch {
          // already closed by the reader
        }
      }
      if (opts.signal?.aborted) return finish();
      opts.signal?.addEventListener('abort', finish);

      write('retry: 2000\n\n');
      send({ type: 'snapshot', data: snapshot });
      const lastAt = snapshot.samples.at(-1)?.at ?? 0;
      for (const s of early) if (s.at > lastAt) send({ type: 'sample', data: s });
      forward = (s) => send({ type: 'sample', data: s });

      let lastState = JSON.stringify(snapshot.state);
      let lastLogId = snapshot.logs[0]?.id ?? 0;
      let busy = false;
      poller = setInterval(() => {
        if (busy || closed) return;
        busy = true;
        void (async () => {
          const state = await readTaskState(taskId);
          if (!state) return finish();
          const json = JSON.stringify(state);
          if (json !== lastState) {
            lastState = json;
            send({ type: 'state', data: state });
          }
          const logs = await readTaskLogs(taskId, lastLogId);
          if (logs.length > 0) {
            lastLogId = logs[0].id;
            send({ type: 'logs', data: logs });
          }
        })().catch((err: unknown) => {
          console.error(`task events (${taskId}):`, err);
        }).finally(() => {
          busy = false;
        });
      }, pollMs);
      keepAlive = setInterval(() => write(': keep-alive\n\n'), keepAliveMs);
      const { stillAllowed } = opts;
      if (stillAllowed) {
        let checking = false;
        recheck = setInterval(() => {
          if (checking || closed) return;
          checking = true;
          // A check that cannot answer ends the stream too: the browser reconnects and is asked again at the door.
          void stillAllowed().then((ok) => { if (!ok) finish(); }, () => finish()).finally(() => { checking = false; });
        }, opts.recheckMs ?? 5_000);
      }
    },
    cancel() {
      stop();
    },
  });
}
