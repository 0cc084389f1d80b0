/**
 * Whether a destination can replicate a source through the relay: the one set of rules, read
 * from both sides' INFO, that the precheck's "Replication relay" item shows and RelayTask applies
 * before it changes anything.
 */
import type { ControlClient } from '../net/socket';
import { parseInfo, type InfoFields } from '../precheck/info';
import type { SyncOptions } from '../sync/types';
import { RespErrorReply } from '../resp';
import { parseServerVersion, readsSnapshotOf, serverLabel } from '../servers/facts';
import { clusterRelayRefusal } from './cluster-refusal';

export interface RelayObstacle {
  /** What stands in the way, in words a person understands. */
  reason: string;
  fix: string;
}

export interface RelayFinding {
  /** Anything here and the task cannot relay. */
  obstacles: RelayObstacle[];
  /** Said but not blocking (keys the snapshot will replace under Ignore/Overwrite). */
  warnings: string[];
  /** The destination already follows this source's history (a run of the task that died): it is taken over. */
  takeover: boolean;
  destinationKeys: number;
  sourceKeys: number;
  /** Facts observed, one per line. */
  details: string[];
}

function keysOf(info: InfoFields): number {
  return Object.entries(info).filter(([k]) => /^db\d+$/.test(k)).reduce((n, [, v]) => n + Number(/keys=(\d+)/.exec(v)?.[1] ?? 0), 0);
}

/** `source` and `destination`: INFO everything (server, replication, cluster, keyspace) of each side. */
/** `selectedDbs`: the DBs the task was given (none: all); a relay copies every DB, so they must hold all the source's keys. */
export function relayFinding(source: InfoFields, destination: InfoFields, overwrite: boolean, selectedDbs?: readonly number[]): RelayFinding {
  const obstacles: RelayObstacle[] = [];
  const warnings: string[] = [];
  const srcVersion = parseServerVersion(source);
  const dstVersion = parseServerVersion(destination);
  const sourceKeys = keysOf(source);
  const destinationKeys = keysOf(destination);
  const details = [`Source: ${serverLabel(srcVersion)}, ${sourceKeys} keys.`, `Destination: ${serverLabel(dstVersion)}, role ${destination.role ?? 'unknown'}, ${destinationKeys} keys.`];
  const cluster = clusterRelayRefusal(source.cluster_enabled === '1', destination.cluster_enabled === '1');
  if (cluster) obstacles.push(cluster);
  if (!readsSnapshotOf(dstVersion, srcVersion)) {
    obstacles.push({ reason: `The destination (${serverLabel(dstVersion)}) cannot load a snapshot of the source (${serverLabel(srcVersion)}) as a replica.`,
      fix: 'use the Commands write method, which rewrites what the destination cannot read' });
  }
  if (selectedDbs && selectedDbs.length > 0) {
    const others = Object.entries(source).filter(([k, v]) => /^db\d+$/.test(k) && Number(/keys=(\d+)/.exec(v)?.[1] ?? 0) > 0)
      .map(([k]) => Number(k.slice(2))).filter((db) => !selectedDbs.includes(db));
    if (others.length > 0) {
      obstacles.push({ reason: `The source also holds keys in DB ${others.join(', ')}, which a relay copies too (it copies every DB).`,
        fix: 'select every DB that holds keys, or use the Commands write method to copy only some' });
    }
  }
  const sourceIds = [source.master_replid, source.master_replid2].filter((id): id is string => Boolean(id) && !/^0+$/.test(id!));
  const takeover = destination.role === 'slave' && sourceIds.includes(destination.master_replid ?? '');
  if (destination.role === 'slave' && !takeover) {
    obstacles.push({ reason: `The destination is a replica of ${destination.master_host}:${destination.master_port}, not of this source.`,
      fix: 'make it a master first (REPLICAOF NO ONE) if it may be overwritten' });
  }
  if (!takeover && destinationKeys > 0) {
    if (overwrite) warnings.push(`The destination's ${destinationKeys} keys are replaced by the source's snapshot (a replica's full sync replaces everything).`);
    else obstacles.push({ reason: `The destination holds ${destinationKeys} keys; a relayed task replaces the destination's whole dataset.`,
      fix: 'empty it, or choose to overwrite (Ignore Errors And Continue, --conflict overwrite) to let the snapshot replace everything it holds' });
  }
  return { obstacles, warnings, takeover, destinationKeys, sourceKeys, details };
}

/**
 * What the relay needs to run on the destination: CONFIG (to set masterauth) and a REPLICAOF command
 * (managed services refuse or rename both). `call` is the destination's, with either error form
 * (a thrown error, a RespErrorReply) taken as a refusal.
 */
export async function relayCommandObstacles(call: (argv: string[]) => Promise<unknown>): Promise<RelayObstacle[]> {
  const obstacles: RelayObstacle[] = [];
  const refusal = (reply: unknown): string | undefined => (reply instanceof Error || reply instanceof RespErrorReply ? reply.message : undefined);
  const config = await call(['CONFIG', 'GET', 'masterauth']).catch((err: unknown) => err);
  const refused = refusal(config);
  if (refused !== undefined) {
    obstacles.push({ reason: `The destination refuses CONFIG (${refused}); the relay sets masterauth with it.`,
      fix: 'managed services usually refuse it: use the Commands write method' });
  }
  const command = await call(['COMMAND', 'INFO', 'REPLICAOF']).catch((err: unknown) => err);
  if (!Array.isArray(command) || command[0] === null) {
    obstacles.push({ reason: 'The destination has no REPLICAOF command (renamed or disabled).', fix: 'use the Commands write method' });
  }
  return obstacles;
}

/** relayFinding for a task, read from both sides' INFO over the engine's own connections. */
export async function relayFindingFor(source: ControlClient, destination: ControlClient, opts: Pick<SyncOptions, 'conflict' | 'filter'>): Promise<RelayFinding> {
  const info = async (c: ControlClient): Promise<InfoFields> => parseInfo(String(await c.call(['INFO', 'everything'])));
  return relayFinding(await info(source), await info(destination), opts.conflict === 'overwrite', opts.filter?.dbs);
}

/** Why a task cannot relay, in words a person can act on; undefined when nothing in its options stands in the way. */
export function relayRefusal(opts: SyncOptions): string | undefined {
  const f = opts.filter;
  if (!opts.source) return 'Replication relay needs a source to replicate (an RDB file is written with commands)';
  if (opts.read === 'scan') return 'Replication relay replicates the source: it cannot read it by scan';
  if (f?.dbMap && [...f.dbMap].some(([from, to]) => from !== to)) return 'Replication relay copies every DB as it is: it cannot map DBs';
  if (f?.includePrefixes?.length || f?.excludePrefixes?.length) return 'Replication relay copies every key: it cannot filter by prefix';
  if (opts.ttlExtendSeconds) return 'Replication relay copies expiries as they are: it cannot extend them';
  const cluster = clusterRelayRefusal(Boolean(opts.sourceCluster), Boolean(opts.targetCluster));
  if (cluster) return cluster.reason.replace(/\.$/, '');
  return undefined;
}
