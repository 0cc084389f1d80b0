/**
 * What a cut over reads of the source and checks on both sides: each master's
 * replication id and offset (INFO replication), and a key-by-key comparison of a
 * sample of the selected keys (every key of a DB that holds no more than the
 * sample) with the verifier's own comparator (engine/verify/compare.ts).
 */
import { discoverCluster } from '../cluster/topology';
import { endpointAddress, type RedisEndpoint } from '../endpoint';
import { EntryFilter, type FilterOptions } from '../filter';
import { closeRedis, openRedis } from '../precheck/connect';
import { parseInfo } from '../precheck/info';
import { shardNameOf } from '../sync/cluster-sync';
import { compareSettings, KeyComparator, type KeyConflict } from '../verify/compare';
import { Side } from '../verify/side';
import type { CompareOptions } from '../verify/types';

export interface MasterPosition {
  /** The shard's name, as its checkpoints are kept (a standalone source's address; a cluster shard's slots). */
  shard: string;
  /** host:port of its master */
  address: string;
  replid: string;
  offset: number;
}

export interface SourceShard {
  /** The name the engine keeps the shard's checkpoint under (engine/sync/cluster-sync.ts shardNameOf). */
  name: string;
  /** Its master. */
  master: RedisEndpoint;
}

/** The source's shards and their masters: the source itself when standalone, every master of a cluster. */
export async function sourceShards(source: RedisEndpoint, cluster: boolean): Promise<SourceShard[]> {
  if (!cluster) return [{ name: endpointAddress(source), master: source }];
  const topology = await discoverCluster(source, 'source');
  return topology.masters.map((m) => ({ name: shardNameOf(m), master: m.endpoint }));
}

/** The shard's master's replication id and offset (INFO replication); `name`: the connection's, for CLIENT LIST. */
export async function masterPosition(shard: SourceShard, opts: { timeoutMs?: number; name?: string } = {}): Promise<MasterPosition> {
  const client = await openRedis({ ...shard.master, mode: 'standalone' }, { name: opts.name ?? 'dts-offset', timeoutMs: opts.timeoutMs });
  try {
    const info = parseInfo(String(await client.call('INFO', 'replication')));
    return { shard: shard.name, address: endpointAddress(shard.master), replid: String(info.master_replid ?? ''), offset: Number(info.master_repl_offset ?? 0) };
  } finally {
    closeRedis(client);
  }
}

export interface SampleCheck {
  keysChecked: number;
  /** Of them, keys the stream had written (the rest: the sample). */
  changedChecked: number;
  /** Keys the selected DBs hold (the sample's population). */
  keysInScope: number;
  conflicts: (KeyConflict & { db: number })[];
  /** Keys that changed while they were read (none while writes are paused). */
  unsettled: number;
}

/** Compares `changed` keys (source DB and key) and up to `sample` more keys per selected DB, source against destination. */
export async function checkSample(opts: {
  source: RedisEndpoint; target: RedisEndpoint; filter: FilterOptions; compare: CompareOptions; sample: number; dbs: number[];
  changed?: { db: number; key: Buffer }[];
}): Promise<SampleCheck> {
  const filter = new EntryFilter(opts.filter);
  const [source, target] = await Promise.all([Side.open(opts.source, 'source'), Side.open(opts.target, 'destination')]);
  try {
    const comparator = new KeyComparator(source, target, compareSettings(opts.compare, source, target));
    const keyspace = await source.keyspace();
    const out: SampleCheck = { keysChecked: 0, changedChecked: 0, keysInScope: 0, conflicts: [], unsettled: 0 };
    for (const db of opts.dbs) {
      out.keysInScope += keyspace.get(db) ?? 0;
      const seen = new Set<string>();
      const keys: Buffer[] = [];
      for (const c of opts.changed ?? []) {
        if (c.db !== db || !filter.acceptsKey(c.key) || seen.has(c.key.toString('latin1'))) continue;
        seen.add(c.key.toString('latin1'));
        keys.push(c.key);
      }
      out.changedChecked += keys.length;
      let sampled = 0;
      for await (const batch of source.scan(db, { count: 1000 })) {
        for (const k of batch) {
          if (sampled >= opts.sample || !filter.acceptsKey(k) || seen.has(k.toString('latin1'))) continue;
          seen.add(k.toString('latin1'));
          keys.push(k);
          sampled++;
        }
        if (sampled >= opts.sample) break;
      }
      // A key the stream wrote and then deleted is missing on both sides: the comparator says equal.
      for (let i = 0; i < keys.length; i += 1000) {
        const result = await comparator.compare(db, filter.mapDb(db), keys.slice(i, i + 1000));
        out.conflicts.push(...result.conflicts.map((c) => ({ ...c, db })));
        out.unsettled += result.unsettled.length;
      }
      out.keysChecked += keys.length;
    }
    return out;
  } finally {
    source.close();
    target.close();
  }
}
