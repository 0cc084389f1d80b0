/**
 * Distributed mode's one home for what the console and the workers share on the control-plane
 * Redis (`DTS_QUEUE_URL`): the BullMQ queue of shard jobs (one per source shard of a started task;
 * BullMQ hands each to one worker, renews the worker's lock while it runs, and gives the job to
 * another worker when the lock lapses), the pub/sub channels (workers' live progress to the
 * console, the console's actions to the workers), the workers' registry and the stall interval.
 */
import os from 'node:os';
import { Redis, type RedisOptions } from 'ioredis';
import { z } from 'zod';
import type { ClusterPlan, SyncProgress } from '@/engine/sync/types';

export const QUEUE_NAME = 'dts-shards';
/** Workers publish each shard's progress here (ShardEvent). */
export const EVENTS_CHANNEL = 'dts:shard-events';
/** The console publishes task actions here (ControlMessage). */
export const CONTROL_CHANNEL = 'dts:task-control';
/** Workers answer the console's requests here (ChangedKeysReply). */
export const REPLIES_CHANNEL = 'dts:shard-replies';
/** A hash: worker id → WorkerHealth JSON, refreshed every HEALTH_INTERVAL_MS. */
export const WORKERS_KEY = 'dts:workers';
export const HEALTH_INTERVAL_MS = 2_000;

/** The control-plane Redis of distributed mode, or undefined: one machine, the console runs its engines itself. */
export function queueUrl(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.DTS_QUEUE_URL || undefined;
}

/**
 * How long a worker that stopped renewing its lock (killed, its host gone, cut off) holds its shards
 * before another worker takes them over: `DTS_WORKER_STALL_MS`, default 30 s. The lock lasts half of
 * it and the stalled check runs every half, so a take-over starts within the interval.
 */
export function stallIntervalMs(env: NodeJS.ProcessEnv = process.env): number {
  const v = Number(env.DTS_WORKER_STALL_MS);
  return Number.isFinite(v) && v >= 1_000 ? v : 30_000;
}

/** A connection to the control-plane Redis (BullMQ needs maxRetriesPerRequest null on its own). */
export function queueConnection(url: string, extra: RedisOptions = {}): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, ...extra });
}

/** One shard of a started task, as a job. `plan` is the cluster task's plan (null: the source is not a cluster). */
export const shardJobSchema = z.object({
  taskId: z.string(),
  /** The shard's name: a cluster shard's slot ranges, else the source's address (the checkpoint's name). */
  shard: z.string(),
  index: z.number().int(),
  plan: z.object({ shards: z.array(z.string()), recorded: z.number(), owned: z.boolean() }).nullable(),
});
export type ShardJob = z.infer<typeof shardJobSchema> & { plan: ClusterPlan | null };

/** BullMQ job ids may not hold ':'. */
export function shardJobId(taskId: string, index: number): string {
  return `${taskId}.${index}`;
}

export interface ShardEvent {
  taskId: string;
  shard: string;
  workerId: string;
  progress: SyncProgress;
}

export type ControlMessage =
  | { taskId: string; action: 'pause' | 'resume' | 'stop' | 'limits' }
  /** Cut over: each shard's engine answers on REPLIES_CHANNEL with the keys its stream wrote (ChangedKeysReply). */
  | { taskId: string; action: 'changed-keys'; requestId: string };

/** A shard's answer to a `changed-keys` request; keys in base64 (they are binary). */
export interface ChangedKeysReply {
  requestId: string;
  taskId: string;
  shard: string;
  keys: { db: number; key: string }[];
  overflow: boolean;
}

/** What a worker says of itself in the registry. */
export interface WorkerHealth {
  id: string;
  host: string;
  pid: number;
  slots: number;
  /** The shards it runs: `taskId shard`. */
  running: { taskId: string; shard: string }[];
  /** When it started (ms since the epoch). */
  startedAt: number;
  /** Its host's load average over the last minute, and the host's cores: a worker's host that is overloaded shows here. */
  load1: number;
  cores: number;
  /** When it last wrote this (ms since the epoch). */
  at: number;
}

/** A worker as the console shows it: alive while it wrote within three health intervals. */
export type WorkerView = WorkerHealth & { alive: boolean };

/** A worker that stopped writing is shown as not responding for this long, then forgotten. */
const FORGET_AFTER_MS = 60 * 60_000;

/** This worker's name: `DTS_WORKER_NAME`, else host:pid. */
export function workerName(env: NodeJS.ProcessEnv = process.env): string {
  return env.DTS_WORKER_NAME || `${os.hostname()}:${process.pid}`;
}

/** How many shards a worker runs at once: `DTS_WORKER_SLOTS`, default its cores. */
export function workerSlots(env: NodeJS.ProcessEnv = process.env): number {
  const v = Number(env.DTS_WORKER_SLOTS);
  return Number.isInteger(v) && v >= 1 ? v : Math.max(1, os.availableParallelism());
}

/** The workers in the registry, with whether each is alive; those silent for an hour are removed. */
export async function listWorkers(redis: Redis, now = Date.now()): Promise<WorkerView[]> {
  const all = await redis.hgetall(WORKERS_KEY);
  const workers = Object.values(all).map((json) => JSON.parse(json) as WorkerHealth);
  const forgotten = workers.filter((w) => now - w.at > FORGET_AFTER_MS).map((w) => w.id);
  if (forgotten.length > 0) await redis.hdel(WORKERS_KEY, ...forgotten);
  return workers.filter((w) => !forgotten.includes(w.id))
    .map((w) => ({ ...w, alive: now - w.at < 3 * HEALTH_INTERVAL_MS }))
    .sort((a, b) => a.id.localeCompare(b.id));
}
