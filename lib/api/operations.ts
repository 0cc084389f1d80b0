/**
 * Every operation of the REST API (/api/v1): method, path, the role ability it needs,
 * and the zod schemas of its input (the wizard's own: lib/tasks/draft.ts, options.ts,
 * lib/instances/schema.ts) and output. The route handlers serve only what is listed
 * here (lib/api/handler.ts looks each request up), and the OpenAPI document is
 * generated from it (lib/api/openapi.ts), so the two cannot drift apart.
 */
import { z } from 'zod';
import type { Ability } from '@/lib/auth/roles';
import { LINK_SPEC_IDS } from '@/lib/catalog/link-specs';
import { cutoverInputSchema, cutoverReportSchema } from '@/lib/engine/cutover';
import { instanceInputSchema } from '@/lib/instances/schema';
import { workerPoolSchema } from '@/lib/tasks/workers';
import { taskDraftSchema } from '@/lib/tasks/draft';
import { instanceClassInputSchema } from '@/lib/tasks/options';
import { precheckDocSchema } from '@/lib/tasks/precheck-doc';
import { TASK_STATUSES } from '@/lib/tasks/status';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface ApiOperation {
  id: string;
  method: HttpMethod;
  /** Relative to /api/v1, with `{param}` segments. */
  path: string;
  tag: 'Tasks' | 'Precheck' | 'Verification' | 'Instances' | 'Workers' | 'API';
  summary: string;
  ability: Ability;
  query?: z.ZodObject;
  body?: z.ZodType;
  /** HTTP status of success. */
  status: 200 | 201 | 202;
  response: z.ZodType;
  /** Accepts an `Idempotency-Key` header (create). */
  idempotent?: boolean;
}

export const API_BASE = '/api/v1';

/** Create task: the wizard's whole draft (steps 1–4), without the id of a task being edited. */
export const createTaskBodySchema = taskDraftSchema.omit({ taskId: true }).meta({ id: 'TaskDraft' });

const statusSchema = z.enum(TASK_STATUSES);

const taskSummarySchema = z.looseObject({
  id: z.string(), name: z.string(), region: z.string(), status: statusSchema,
  fullProgress: z.number().nullable().describe('Percent of the full migration; null for an incremental-only task'),
  delayMs: z.number().nullable().describe('Synchronization delay while Running, Paused or Retrying'),
  source: z.string(), target: z.string(), instanceClass: z.string(), createdAt: z.string(),
  controls: z.array(z.string()).describe('What can be done to the task now'),
}).meta({ id: 'TaskSummary' });

const shardSchema = z.object({
  name: z.string(), stage: z.string(), replid: z.string().nullable(),
  offset: z.number().nullable().describe('The checkpoint: the last source offset the destination acknowledged'),
  db: z.number(), updatedAt: z.string(),
});

const taskStateSchema = z.looseObject({
  id: z.string(), name: z.string(), region: z.string(), status: statusSchema, errorMessage: z.string().nullable(),
  fullPercent: z.number(), keysDone: z.number(), keysTotal: z.number(), bytesDone: z.number(), delayMs: z.number().nullable(),
  shards: z.array(shardSchema), controls: z.array(z.string()), instanceClass: z.string(),
  createdAt: z.string(), startedAt: z.string().nullable(), endedAt: z.string().nullable(),
}).meta({ id: 'TaskState' });

const taskSchema = z.object({ task: taskStateSchema, config: z.looseObject({}).describe('The settings, without secrets') });
const okSchema = z.object({ ok: z.literal(true) });
const taskRefSchema = z.object({ task: taskStateSchema });
const logEntrySchema = z.object({ id: z.number(), level: z.enum(['info', 'warn', 'error']), message: z.string(), at: z.string() });
const precheckViewSchema = z.object({
  taskId: z.string(), status: statusSchema, doc: precheckDocSchema.nullable(),
  summary: z.looseObject({ canProceed: z.boolean() }),
}).meta({ id: 'Precheck' });
const verificationRunSchema = z.looseObject({
  id: z.string(), kind: z.enum(['full', 'incremental']), trigger: z.string(), status: z.enum(['running', 'equal', 'different', 'failed', 'stopped']),
  startedAt: z.string(), finishedAt: z.string().nullable(), keysChecked: z.number(), conflicts: z.number(), rounds: z.number(),
}).meta({ id: 'VerificationRun' });
const instanceSchema = z.looseObject({
  id: z.string(), instanceId: z.string(), name: z.string(), region: z.string(), host: z.string(), port: z.number(), mode: z.string(), tls: z.boolean(),
}).meta({ id: 'Instance' });

const taskActionOp = (action: 'start' | 'pause' | 'resume' | 'end' | 'release', summary: string): ApiOperation => ({
  id: `${action}Task`, method: 'POST', path: `/tasks/{taskId}/${action}`, tag: 'Tasks', summary, ability: 'operate', status: 200, response: taskRefSchema,
});

export const OPERATIONS: readonly ApiOperation[] = [
  {
    id: 'listTasks', method: 'GET', path: '/tasks', tag: 'Tasks', ability: 'view', status: 200,
    summary: 'List tasks (newest first; Released tasks are hidden), a page at a time: pass nextCursor back as cursor.',
    query: z.object({
      region: z.string().optional().describe('Only this region (default: all)'),
      status: statusSchema.optional(),
      q: z.string().max(200).optional().describe('Task ID or name contains'),
      limit: z.coerce.number().int().min(1).max(100).default(20),
      cursor: z.string().max(64).optional(),
    }),
    response: z.object({ tasks: z.array(taskSummarySchema), nextCursor: z.string().nullable() }),
  },
  {
    id: 'createTask', method: 'POST', path: '/tasks', tag: 'Tasks', ability: 'operate', status: 201, idempotent: true,
    summary: 'Create a task (Not Started) from the same fields as the Create Task wizard. Send an Idempotency-Key header to make a retry safe.',
    body: createTaskBodySchema, response: taskSchema,
  },
  {
    id: 'getTask', method: 'GET', path: '/tasks/{taskId}', tag: 'Tasks', ability: 'view', status: 200,
    summary: 'A task: state, progress, each source shard\'s offsets, and its settings.', response: taskSchema,
  },
  {
    id: 'updateTask', method: 'PUT', path: '/tasks/{taskId}', tag: 'Tasks', ability: 'operate', status: 200,
    summary: 'Change the settings of a task that has not started (Not Started, Precheck Passed or Failed); it needs a new precheck.',
    body: createTaskBodySchema, response: taskSchema,
  },
  {
    id: 'getTaskLogs', method: 'GET', path: '/tasks/{taskId}/logs', tag: 'Tasks', ability: 'view', status: 200,
    summary: 'The task log, newest first; with after, only lines written after that id.',
    query: z.object({ after: z.coerce.number().int().min(0).default(0), limit: z.coerce.number().int().min(1).max(500).default(200) }),
    response: z.object({ logs: z.array(logEntrySchema) }),
  },
  {
    id: 'startPrecheck', method: 'POST', path: '/tasks/{taskId}/precheck', tag: 'Precheck', ability: 'operate', status: 202,
    summary: 'Run the precheck (it runs in the background: read it with GET until finishedAt is set).', response: precheckViewSchema,
  },
  {
    id: 'getPrecheck', method: 'GET', path: '/tasks/{taskId}/precheck', tag: 'Precheck', ability: 'view', status: 200,
    summary: 'The latest precheck: each item with its status, reason and fix.', response: precheckViewSchema,
  },
  {
    id: 'ignorePrecheckItem', method: 'POST', path: '/tasks/{taskId}/precheck/items/{itemId}/ignore', tag: 'Precheck', ability: 'operate', status: 200,
    summary: 'Ignore a Warning or Failed item that allows it (never connectivity, authentication or permissions).', response: precheckViewSchema,
  },
  taskActionOp('start', 'Start a task (a Not Started task runs its precheck first and starts only if it passes).'),
  taskActionOp('pause', 'Pause a Running task: it stops writing to the destination and keeps its checkpoint.'),
  taskActionOp('resume', 'Resume a Paused task (or start a Failed one again) from its checkpoint.'),
  taskActionOp('end', 'End a task: it writes what it has read, then stops. Its record stays.'),
  taskActionOp('release', 'Release a task: its engine, spool and destination record go and it leaves the list.'),
  {
    id: 'cloneTask', method: 'POST', path: '/tasks/{taskId}/clone', tag: 'Tasks', ability: 'operate', status: 201,
    summary: 'A new Not Started task with the same settings, named "<name> (copy)".', response: taskSchema,
  },
  {
    id: 'changeInstanceClass', method: 'POST', path: '/tasks/{taskId}/instance-class', tag: 'Tasks', ability: 'operate', status: 200,
    summary: `Upgrade the instance class (Running, Paused or Failed) to a higher one: ${LINK_SPEC_IDS.join(', ')}.`,
    body: instanceClassInputSchema, response: taskRefSchema,
  },
  {
    id: 'cutoverTask', method: 'POST', path: '/tasks/{taskId}/cutover', tag: 'Tasks', ability: 'operate', status: 200,
    summary: 'Cut over a Running task: refused while the delay is above maxLagSeconds; optionally pauses writes on the source '
      + '(CLIENT PAUSE … WRITE, at most pauseLimitMs, always lifted); waits until the destination holds the source\'s offset; '
      + 'verifies a sample of keys; records "the destination held every write up to offset X of replication id R at T"; ends the task.',
    body: cutoverInputSchema, response: z.object({ report: cutoverReportSchema, task: taskStateSchema }),
  },
  {
    id: 'startVerification', method: 'POST', path: '/tasks/{taskId}/verifications', tag: 'Verification', ability: 'operate', status: 202,
    summary: 'Verify Now: a full data verification with the task\'s settings, in the background.',
    response: z.object({ runId: z.string() }),
  },
  {
    id: 'listVerifications', method: 'GET', path: '/tasks/{taskId}/verifications', tag: 'Verification', ability: 'view', status: 200,
    summary: 'The task\'s verification runs, newest first, and the one in progress.',
    response: z.object({ verifyNowBlocked: z.string().nullable(), progress: z.looseObject({}).nullable(), runs: z.array(verificationRunSchema) }),
  },
  {
    id: 'getVerification', method: 'GET', path: '/tasks/{taskId}/verifications/{runId}', tag: 'Verification', ability: 'view', status: 200,
    summary: 'One verification run with every stored round, its per-DB results and differing keys.',
    response: verificationRunSchema.extend({
      roundResults: z.array(z.looseObject({ round: z.number(), scope: z.enum(['all', 'recheck']), keysChecked: z.number(), conflicts: z.number() })),
    }),
  },
  {
    id: 'stopVerification', method: 'POST', path: '/tasks/{taskId}/verifications/stop', tag: 'Verification', ability: 'operate', status: 200,
    summary: 'Stop the running full data verification.', response: okSchema,
  },
  {
    id: 'listInstances', method: 'GET', path: '/instances', tag: 'Instances', ability: 'view', status: 200,
    summary: 'Registered instances (credentials never leave the server).',
    query: z.object({ region: z.string().optional().describe('Only this region (default: all)') }),
    response: z.object({ instances: z.array(instanceSchema) }),
  },
  {
    id: 'createInstance', method: 'POST', path: '/instances', tag: 'Instances', ability: 'operate', status: 201,
    summary: 'Register an instance, or change one (with id). Password: "<password>" or "<user>:<password>".',
    body: instanceInputSchema, response: z.object({ instance: instanceSchema }),
  },
  {
    id: 'deleteInstance', method: 'DELETE', path: '/instances/{id}', tag: 'Instances', ability: 'operate', status: 200,
    summary: 'Delete a registered instance (tasks using it keep their copy of its settings).', response: okSchema,
  },
  {
    id: 'listWorkers', method: 'GET', path: '/workers', tag: 'Workers', ability: 'view', status: 200,
    summary: 'Distributed mode: the workers, their health and the shards each runs (pool null when the console runs the engines itself).',
    response: z.object({ pool: workerPoolSchema.nullable() }),
  },
  {
    id: 'getOpenApi', method: 'GET', path: '/openapi.json', tag: 'API', ability: 'view', status: 200,
    summary: 'This document.', response: z.looseObject({ openapi: z.string() }),
  },
];

/** The operation a request is for: its method and path (relative to /api/v1) matched against the templates. */
export function findOperation(method: string, path: string): { op: ApiOperation; params: Record<string, string> } | 'method' | null {
  let pathMatched = false;
  for (const op of OPERATIONS) {
    const params = matchPath(op.path, path);
    if (!params) continue;
    pathMatched = true;
    if (op.method === method) return { op, params };
  }
  return pathMatched ? 'method' : null;
}

function matchPath(template: string, path: string): Record<string, string> | null {
  const t = template.split('/');
  const p = path.replace(/\/+$/, '').split('/');
  if (t.length !== p.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < t.length; i++) {
    const m = /^\{(\w+)\}$/.exec(t[i]);
    if (m) {
      if (!p[i]) return null;
      params[m[1]] = decodeURIComponent(p[i]);
    } else if (t[i] !== p[i]) return null;
  }
  return params;
}
