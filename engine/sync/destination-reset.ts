/**
 * Before a full migration runs again (a drop during the first, a backlog
 * overrun, a +FULLRESYNC after a failover, a restart during a full migration),
 * what the task wrote from the earlier snapshot must go: keys deleted on the
 * source between the two snapshots would stay on the destination as orphans, and
 * commands replayed on them afterwards would build on stale values. A native
 * replica empties itself for the same reason.
 *
 * Only where the task owns its destination DBs (they held none of its keys when
 * it first wrote): then exactly what it carries is deleted there — a whole DB
 * (FLUSHDB ASYNC) when it carries the whole DB, else the keys its prefix filter
 * and, for one shard of a cluster source, that shard's slots accept. Never a DB
 * the task does not write, never the engine's own records of other shards.
 */
import { keySlot } from '../cluster/slot';
import { detectCluster, discoverCluster } from '../cluster/topology';
import type { RedisEndpoint } from '../endpoint';
import type { EntryFilter } from '../filter';
import { ControlClient } from '../net/socket';
import type { DestinationWriter } from '../writer/types';
import { destinationScopes, scanKeys } from './conflict-check';
import { recordPatternFor } from './destination-record';

export interface ResetScope {
  target: RedisEndpoint;
  cluster: boolean;
  filter: EntryFilter;
  /** One shard of a cluster source: only keys in these slots are the shard's. */
  slots?: [number, number][];
}

/**
 * Deletes the task's keys on the destination; says in words what was cleared. The deletes
 * go through the task's writer, so they come before whatever it writes next on each node.
 */
export async function clearTaskKeys(writer: DestinationWriter, scope: ResetScope): Promise<string> {
  const { filter, cluster, slots } = scope;
  const places = await destinationScopes(scope.target, cluster, filter);
  const async = writer.destination.version.major >= 4 ? ['ASYNC'] : [];
  if (filter.carriesWholeDbs && !slots) {
    if (cluster) {
      writer.selectDb(0);
      await writer.write(['FLUSHALL', ...async]);
    } else {
      for (const { db } of places[0]?.dbs ?? []) {
        writer.selectDb(db);
        await writer.write(['FLUSHDB', ...async]);
      }
    }
    const where = places.flatMap((p) => p.dbs.map((d) => d.where));
    return where.length > 0 ? `emptied ${where.join(', ')}` : 'nothing to empty';
  }
  const inShard = slots
    ? (k: Buffer) => {
      const s = keySlot(k);
      return slots.some(([a, b]) => s >= a && s <= b);
    }
    : () => true;
  let deleted = 0;
  for (const place of places) {
    const client = await new ControlClient(place.node, 'destination').open();
    try {
      for (const { db } of place.dbs) {
        if (!cluster) await client.call(['SELECT', db]);
        await scanKeys(client, async (keys) => {
          const mine = keys.filter((k) => filter.acceptsKey(k) && inShard(k));
          if (mine.length > 0) {
            writer.selectDb(db);
            await writer.write(['UNLINK', ...mine]);
            deleted += mine.length;
          }
          return true;
        });
      }
    } finally {
      client.close();
    }
  }
  return `deleted ${deleted} key(s) the task carries`;
}

/**
 * Release: deletes the task's records (every shard's) from the destination. Returns
 * how many were deleted; throws when the destination cannot be reached.
 */
export async function deleteTaskRecords(target: RedisEndpoint, taskId: string): Promise<number> {
  const cluster = await detectCluster(target, 'destination');
  const nodes = cluster ? (await discoverCluster(target, 'destination')).masters.map((m) => m.endpoint) : [target];
  const pattern = recordPatternFor(taskId);
  let deleted = 0;
  for (const node of nodes) {
    const client = await new ControlClient(node, 'destination').open();
    try {
      const info = String(await client.call(['INFO', 'keyspace']));
      const dbs = cluster ? [0] : [...info.matchAll(/^db(\d+):/gm)].map((m) => Number(m[1]));
      for (const db of dbs) {
        if (!cluster) await client.call(['SELECT', db]);
        let cursor = '0';
        do {
          const reply = await client.call(['SCAN', cursor, 'MATCH', pattern, 'COUNT', 1000]);
          if (!Array.isArray(reply)) break;
          cursor = String(reply[0]);
          for (const key of (reply[1] as Buffer[]) ?? []) deleted += Number(await client.call(['DEL', key])) || 0;
        } while (cursor !== '0');
      }
    } finally {
      client.close();
    }
  }
  return deleted;
}
