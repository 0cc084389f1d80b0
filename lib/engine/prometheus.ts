/**
 * The console's Prometheus metrics (`GET /metrics`, text exposition by prom-client),
 * read fresh at each scrape: per task its state and full migration, per source shard
 * its lag (heartbeat seconds; bytes = the source's master_repl_offset − checkpoint,
 * asked of the source at scrape time), what it applied and read, destination errors
 * and retries; per task the spool and the latest verification's differences.
 * Every series of every task is written from the task's creation on (zero until it
 * runs), so rate() and alerts see a counter from its start. Counters are the engine
 * run's own and restart at zero with a new engine process, as Prometheus expects.
 * docs/monitoring.md lists them, with a Grafana dashboard and alert rules.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Counter, Gauge, Registry } from 'prom-client';
import { masterPosition, sourceShards } from '@/engine/cutover/source-state';
import type { RedisEndpoint } from '@/engine/endpoint';
import type { ShardProgress, SyncProgress } from '@/engine/sync/types';
import { endpointAddress } from '@/engine/endpoint';
import { db } from '@/lib/db/client';
import { TASK_STATUSES } from '@/lib/tasks/status';
import type { EngineManager } from './manager';
import { syncOptionsFor } from './task-options';

/** How long a scrape waits for a source's INFO (a cut link must not hold the scrape). */
const SOURCE_INFO_TIMEOUT_MS = 1_500;

interface ShardFigures {
  name: string;
  stage: string;
  delayMs: number | null;
  checkpoint: number | null;
  commandsApplied: number;
  bytesRead: number;
  destinationErrors: number;
  destinationRetries: number;
}

function shardsOf(progress: SyncProgress | undefined, recorded: { name: string; stage: string; offset: bigint | null }[], fallback: string): ShardFigures[] {
  const zero = { commandsApplied: 0, bytesRead: 0, destinationErrors: 0, destinationRetries: 0 };
  if (progress?.shards?.length) {
    return progress.shards.map((s: ShardProgress) => ({
      name: s.name, stage: s.stage, delayMs: s.delayMs, checkpoint: s.checkpoint?.offset ?? null,
      commandsApplied: s.commandsApplied, bytesRead: s.bytesRead, destinationErrors: s.destinationErrors, destinationRetries: s.destinationRetries,
    }));
  }
  if (progress) {
    return [{
      name: recorded[0]?.name ?? fallback, stage: progress.stage, delayMs: progress.delayMs, checkpoint: progress.checkpoint?.offset ?? null,
      commandsApplied: progress.commandsApplied, bytesRead: progress.bytesRead, destinationErrors: progress.destinationErrors, destinationRetries: progress.destinationRetries,
    }];
  }
  const rows = recorded.length > 0 ? recorded : [{ name: fallback, stage: 'pending', offset: null }];
  return rows.map((r) => ({ name: r.name, stage: r.stage, delayMs: null, checkpoint: r.offset === null ? null : Number(r.offset), ...zero }));
}

/** Each shard's master offset, by shard name; a shard whose source cannot be asked is left out. */
async function sourceOffsets(source: RedisEndpoint, cluster: boolean): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const shards = await sourceShards(source, cluster).catch(() => []);
  await Promise.all(shards.map(async (shard) => {
    const p = await masterPosition(shard, { timeoutMs: SOURCE_INFO_TIMEOUT_MS, name: 'dts-metrics' }).catch(() => null);
    if (p && Number.isFinite(p.offset)) out.set(shard.name, p.offset);
  }));
  return out;
}

function directoryBytes(dir: string): number {
  let total = 0;
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) total += directoryBytes(p);
    else if (e.isFile()) total += fs.statSync(p, { throwIfNoEntry: false })?.size ?? 0;
  }
  return total;
}

/** The metrics text of every task that is not Released. */
export async function renderMetrics(manager: EngineManager): Promise<{ contentType: string; body: string }> {
  const registry = new Registry();
  const reg = { registers: [registry] };
  const T = ['task_id'] as const;
  const S = ['task_id', 'shard'] as const;
  const info = new Gauge({ name: 'dts_task_info', help: 'A task (value 1) with its name and region', labelNames: ['task_id', 'task_name', 'region'], ...reg });
  const status = new Gauge({ name: 'dts_task_status', help: 'The task status: 1 for the current one, 0 for the others', labelNames: ['task_id', 'status'], ...reg });
  const keysDone = new Gauge({ name: 'dts_full_migration_keys_done', help: 'Keys written by the full migration', labelNames: T, ...reg });
  const keysSnapshot = new Gauge({ name: 'dts_full_migration_keys_snapshot', help: 'Keys in the snapshot being migrated (0 while unknown)', labelNames: T, ...reg });
  const fullBytes = new Gauge({ name: 'dts_full_migration_snapshot_read_bytes', help: 'Snapshot bytes read by the full migration', labelNames: T, ...reg });
  const fullRatio = new Gauge({ name: 'dts_full_migration_progress_ratio', help: 'Full migration progress, 0 to 1', labelNames: T, ...reg });
  const lagSeconds = new Gauge({ name: 'dts_replication_lag_seconds', help: 'Synchronization delay from the heartbeat key (NaN while unknown)', labelNames: S, ...reg });
  const lagBytes = new Gauge({ name: 'dts_replication_lag_bytes', help: 'Source master_repl_offset minus the checkpoint (NaN while either is unknown)', labelNames: S, ...reg });
  const checkpoint = new Gauge({ name: 'dts_replication_checkpoint_offset_bytes', help: 'The checkpoint: the source offset the destination acknowledged', labelNames: S, ...reg });
  const sourceUp = new Gauge({ name: 'dts_source_up', help: 'Whether the console reached the source shard at this scrape (1) or not (0); only for tasks with an engine', labelNames: S, ...reg });
  const engineUp = new Gauge({ name: 'dts_task_engine_running', help: 'Whether the task has an engine process', labelNames: T, ...reg });
  const applied = new Counter({ name: 'dts_commands_applied_total', help: 'Replication stream commands applied to the destination (this engine run)', labelNames: S, ...reg });
  const read = new Counter({ name: 'dts_source_read_bytes_total', help: 'Bytes read from the source: snapshot, then stream (this engine run)', labelNames: S, ...reg });
  const destErrors = new Counter({ name: 'dts_destination_errors_total', help: 'Destination failures that made the writer reconnect (this engine run)', labelNames: S, ...reg });
  const destRetries = new Counter({ name: 'dts_destination_retries_total', help: 'Reconnection attempts to the destination (this engine run)', labelNames: S, ...reg });
  const spool = new Gauge({ name: 'dts_spool_bytes', help: 'Bytes of the task\'s spool on disk (stream held while the destination is slow)', labelNames: T, ...reg });
  const differences = new Gauge({ name: 'dts_verification_differences', help: 'Differences left by the latest verification run of each kind', labelNames: ['task_id', 'kind'], ...reg });

  const tasks = await db().task.findMany({
    where: { status: { not: 'Released' } },
    include: { shards: { select: { name: true, stage: true, offset: true }, orderBy: { name: 'asc' } } },
    orderBy: { createdAt: 'asc' },
  });
  await Promise.all(tasks.map(async (t) => {
    const id = { task_id: t.id };
    info.set({ ...id, task_name: t.name, region: t.region }, 1);
    for (const s of TASK_STATUSES) status.set({ ...id, status: s }, s === t.status ? 1 : 0);
    const progress = manager.liveProgress(t.id);
    keysDone.set(id, progress?.keysDone ?? Number(t.keysDone));
    keysSnapshot.set(id, progress?.keysTotal ?? Number(t.keysTotal));
    fullBytes.set(id, progress?.rdbBytesDone ?? Number(t.bytesDone));
    fullRatio.set(id, (progress?.fullPercent ?? t.fullProgress) / 100);
    engineUp.set(id, progress ? 1 : 0);
    spool.set(id, directoryBytes(manager.spoolDir(t.id)));
    let source: RedisEndpoint | undefined;
    let cluster = false;
    try {
      const o = syncOptionsFor(t);
      source = o.source;
      cluster = Boolean(o.sourceCluster);
    } catch {
      source = undefined; // a record with unreadable endpoints still gets its task series
    }
    const shards = shardsOf(progress, t.shards, source ? endpointAddress(source) : 'source');
    // Asked of the source at the scrape, for tasks with an engine only.
    const offsets = progress && source ? await sourceOffsets(source, cluster) : new Map<string, number>();
    for (const s of shards) {
      const l = { ...id, shard: s.name };
      // Without an engine there is no stream, so no delay to speak of.
      lagSeconds.set(l, s.delayMs === null ? Number.NaN : s.delayMs / 1000);
      checkpoint.set(l, s.checkpoint ?? Number.NaN);
      applied.inc(l, s.commandsApplied);
      read.inc(l, s.bytesRead);
      destErrors.inc(l, s.destinationErrors);
      destRetries.inc(l, s.destinationRetries);
      const offset = offsets.get(s.name) ?? null;
      if (progress) sourceUp.set(l, offset === null ? 0 : 1);
      lagBytes.set(l, offset !== null && s.checkpoint !== null ? Math.max(0, offset - s.checkpoint) : Number.NaN);
    }
  }));
  // The latest finished run of each task and kind.
  const latest = await db().verificationRun.findMany({
    where: { taskId: { in: tasks.map((t) => t.id) }, status: { not: 'running' } },
    orderBy: [{ startedAt: 'desc' }, { id: 'desc' }],
    distinct: ['taskId', 'kind'],
    select: { taskId: true, kind: true, conflicts: true },
  });
  for (const t of tasks) for (const kind of ['full', 'incremental']) {
    const run = latest.find((r) => r.taskId === t.id && r.kind === kind);
    differences.set({ task_id: t.id, kind }, run ? Number(run.conflicts) : 0);
  }
  return { contentType: registry.contentType, body: await registry.metrics() };
}
