/**
 * A task whose source is a Redis Cluster: one SyncTask per master (or per
 * replica with `useReplicas`), run in parallel, each with its own replica
 * link, writer, checkpoint and heartbeat key (hash-tagged into a slot its master
 * owns, so it travels that shard's stream). Shards are named by their slot
 * ranges, which outlive a failover, so a shard resumes from its own checkpoint;
 * a broken link resumes only that shard.
 */
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { discoverCluster, detectCluster, readableReplica, type ClusterNode } from '../cluster/topology';
import { keySlot, tagForSlot } from '../cluster/slot';
import { endpointAddress } from '../endpoint';
import { EntryFilter, HEARTBEAT_PREFIX } from '../filter';
import { temporarySpoolDir } from '../replica/spool';
import { createDestinationWriter } from '../writer/destination';
import { checkDestinationEmpty, sampleDestinationKeys } from './conflict-check';
import { parseRecord, recordDbFor, recordKeyFor } from './destination-record';
import { EvictionWatch } from './eviction-watch';
import { SyncError } from './errors';
import { SyncTask } from './sync-task';
import { combineProgress, slowestStage } from './progress';
import { RelayTask } from '../relay/relay-task';
import type { ClusterPlan, ShardCheckpoint, SyncOptions, SyncProgress, SyncRunner, SyncStage, SyncTaskEvents, Throttle } from './types';

export type { SyncRunner } from './types';


/** The link spec and throttles are the task's: each of `n` shards writes an even share of them. */
function perShard(limits: Pick<SyncOptions, 'rps' | 'throttle'>, n: number): Pick<SyncOptions, 'rps' | 'throttle'> {
  const share = (v: number | undefined) => (v && v > 0 ? Math.max(1, Math.floor(v / n)) : v);
  const stage = (t: Throttle | undefined) => (t ? { rps: share(t.rps), bytesPerSecond: share(t.bytesPerSecond) } : undefined);
  return { rps: share(limits.rps), throttle: limits.throttle && { full: stage(limits.throttle.full), incremental: stage(limits.throttle.incremental) } };
}

export function shardNameOf(master: ClusterNode): string {
  return `slots ${master.slots.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)).join(',')}`;
}

export class ClusterSyncTask extends EventEmitter<SyncTaskEvents> implements SyncRunner {
  private shards: SyncTask[] = [];
  /** How many masters share the task's limits: all of the source's, even when this engine runs only some. */
  private sharing = 1;
  private pausedAll = false;
  private stage: SyncStage = 'connecting';
  private timer?: NodeJS.Timeout;
  /** The destination's evictions, watched once for all shards. */
  private evictions?: EvictionWatch;

  constructor(private readonly opts: SyncOptions) {
    super();
  }

  get progress(): SyncProgress {
    return combineProgress(this.shards.map((s) => s.progress), this.stage, {
      evictedKeys: this.evictions?.evicted ?? 0,
      shards: this.shards.map((s) => s.shardProgress()),
    });
  }

  private updateStage(): void {
    const stages = this.shards.map((s) => s.progress.stage);
    let next = slowestStage(stages);
    if (next === 'incremental' && this.pausedAll) next = 'paused';
    if (next !== this.stage) {
      this.stage = next;
      this.emit('stage', next);
    }
  }

  async run(): Promise<void> {
    const source = this.opts.source;
    if (!source) throw new SyncError('NO_SOURCE', 'the task has no source');
    const topology = await discoverCluster(source, 'source');
    const targetCluster = this.opts.targetCluster ?? await detectCluster(this.opts.target, 'destination');
    const { recorded, owned } = this.opts.clusterShards?.plan ?? await planShards(this.opts, topology, targetCluster);
    const only = this.opts.clusterShards?.names;
    if (only) {
      const present = new Set(topology.masters.map(shardNameOf));
      const gone = only.filter((n) => !present.has(n));
      if (gone.length > 0) {
        throw new SyncError('CLUSTER_SHARD_GONE', `the source cluster no longer has a master serving exactly ${gone.join('; ')} (its slots moved since the task was started)`,
          'start the task again: its shards are planned anew from the cluster as it is now');
      }
    }
    // Reading replicas: only one in sync with its master is read; otherwise the master is.
    const chosen: { replica?: ClusterNode; skipped: string[] }[] = await Promise.all(
      topology.masters.map((m) => (this.opts.useReplicas ? readableReplica(m, topology.replicas) : { skipped: [] })));
    // The console gives each task a folder in its data folder; a CLI run gets a private temporary one.
    const ownSpool = this.opts.spoolDir === undefined;
    const spoolRoot = this.opts.spoolDir ?? temporarySpoolDir();
    const running = topology.masters.map((master, i) => ({ master, i })).filter(({ master }) => !only || only.includes(shardNameOf(master)));
    this.sharing = topology.masters.length;
    this.shards = running.map(({ master, i }) => {
      const name = shardNameOf(master);
      const { replica, skipped } = chosen[i]!;
      if (skipped.length > 0) {
        this.emit('log', 'warn', `[${name}] ${replica ? 'skipped' : 'reading the master: no replica in sync —'} ${skipped.join('; ')}`);
      }
      const owns = (slot: number) => master.slots.some(([a, b]) => slot >= a && slot <= b);
      const heartbeatKey = `${HEARTBEAT_PREFIX}_${this.opts.taskId}_{${tagForSlot(owns)}}`;
      if (!owns(keySlot(heartbeatKey))) throw new Error('heartbeat key placed outside its shard');
      const task = new SyncTask({
        ...this.opts,
        ...perShard(this.opts, this.sharing),
        source: replica?.endpoint ?? master.endpoint,
        targetCluster,
        conflict: 'overwrite', // checked once above, before any shard writes
        resume: this.opts.resumeShards?.[name],
        resumeShards: undefined,
        spoolDir: path.join(spoolRoot, String(i)),
        lockFile: this.opts.lockFile ? `${this.opts.lockFile}.${i}` : undefined,
      }, { name, heartbeatTo: master.endpoint, heartbeatKey, slots: master.slots, destinationOwned: recorded === 0 ? owned : undefined });
      const via = replica ? ` (reading replica ${endpointAddress(replica.endpoint)})` : '';
      task.on('log', (level, message) => this.emit('log', level, `[${name}${via}] ${message}`));
      task.on('checkpoint', (c: ShardCheckpoint) => this.emit('checkpoint', c));
      task.on('suspect', (keys) => this.emit('suspect', keys));
      task.on('stage', () => this.updateStage());
      return task;
    });
    const fromReplicas = this.opts.useReplicas
      ? `, ${chosen.filter((c) => c.replica).length} of them read from a replica`
      : '';
    this.emit('log', 'info', only
      ? `the source cluster has ${topology.masters.length} masters; this engine runs ${only.join('; ')}${fromReplicas}`
      : `the source cluster has ${this.shards.length} masters; one link each${fromReplicas}`);
    if (this.pausedAll) for (const s of this.shards) void s.pause();
    try {
      // Several workers share a task: the destination's evictions are watched by the one running its first shard.
      if (!only || only.includes(topology.masters.map(shardNameOf)[0]!)) this.evictions = await EvictionWatch.start(this.opts.target, targetCluster, (level, message) => this.emit('log', level, message));
      this.timer = setInterval(() => this.emit('progress', this.progress), 1000);
      this.timer.unref();
      const runs = this.shards.map((s) => s.run());
      // One shard failing stops the others: the task reports the first reason.
      const first = await Promise.race(runs.map((r) => r.then(() => undefined, (err: unknown) => ({ err }))));
      if (first) {
        await Promise.all(this.shards.map((s) => s.stop()));
        await Promise.allSettled(runs);
        throw first.err;
      }
      const results = await Promise.allSettled(runs);
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    } finally {
      clearInterval(this.timer);
      await this.evictions?.stop();
      if (ownSpool) fs.rmSync(spoolRoot, { recursive: true, force: true });
      this.updateStage();
      this.emit('progress', this.progress);
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.shards.map((s) => s.stop()));
  }

  async pause(): Promise<void> {
    this.pausedAll = true;
    const parked = Promise.all(this.shards.map((s) => s.pause()));
    this.updateStage();
    await parked;
  }

  setLimits(limits: Pick<SyncOptions, 'rps' | 'throttle'>): void {
    for (const s of this.shards) s.setLimits(perShard(limits, this.sharing));
  }

  resume(): void {
    this.pausedAll = false;
    for (const s of this.shards) s.resume();
    this.updateStage();
  }
}

/**
 * The decisions a cluster task makes once for all its shards, before any of them writes: the source
 * holds only DB 0; which shards ran before (a record on the destination); and, on a first run that
 * writes the snapshot, whether the destination is empty (Block: it must be).
 */
async function planShards(opts: SyncOptions, topology: { masters: ClusterNode[] }, targetCluster: boolean): Promise<ClusterPlan> {
  const filter = new EntryFilter(opts.filter);
  const selected = filter.selectedDbs();
  if (selected && selected.some((db) => db !== 0)) {
    throw new SyncError('CLUSTER_SOURCE_DB', `the source is a cluster, which has only DB 0, but the task selects DB ${selected.filter((d) => d !== 0).join(', ')}`,
      'select only DB 0');
  }
  const type = opts.type ?? 'full+incremental';
  const shards = topology.masters.map(shardNameOf);
  const recorded = await recordedShards(opts, shards, targetCluster, filter);
  let owned = false;
  if (recorded === 0 && type !== 'incremental') {
    if ((opts.conflict ?? 'block') === 'block') {
      await checkDestinationEmpty(opts.target, targetCluster, filter);
      owned = true;
    } else {
      owned = (await sampleDestinationKeys(opts.target, targetCluster, filter, 1)).length === 0;
    }
  }
  return { shards, recorded, owned };
}

/** How many of the shards have a record on the destination (they ran before). */
async function recordedShards(opts: SyncOptions, names: string[], targetCluster: boolean, filter: EntryFilter): Promise<number> {
  const writer = createDestinationWriter(opts.target, targetCluster, {});
  try {
    await writer.open();
    const db = recordDbFor(filter, targetCluster);
    let n = 0;
    for (const name of names) if (parseRecord(await writer.readKey(db, Buffer.from(recordKeyFor(opts.taskId, name))))) n++;
    return n;
  } finally {
    writer.close();
  }
}

/**
 * A cluster task's plan, made once before its shards are handed to several engines (workers), each
 * running some of them with `clusterShards`. Null when the source is not a cluster (one engine runs it).
 */
export async function planClusterTask(opts: SyncOptions): Promise<ClusterPlan | null> {
  if (!opts.source || opts.rdbFile || opts.writeMethod === 'relay') return null;
  if (!(opts.sourceCluster ?? await detectCluster(opts.source, 'source'))) return null;
  const topology = await discoverCluster(opts.source, 'source');
  const targetCluster = opts.targetCluster ?? await detectCluster(opts.target, 'destination');
  return planShards(opts, topology, targetCluster);
}

/**
 * The runner for a task: a ClusterSyncTask when the source is a cluster
 * (`sourceCluster`, or INFO cluster when unset), else a SyncTask.
 */
export async function createSyncRunner(opts: SyncOptions): Promise<SyncRunner> {
  if (opts.writeMethod === 'relay') return new RelayTask(opts);
  if (!opts.source || opts.rdbFile) return new SyncTask(opts);
  const cluster = opts.sourceCluster ?? await detectCluster(opts.source, 'source');
  return cluster ? new ClusterSyncTask(opts) : new SyncTask(opts);
}
