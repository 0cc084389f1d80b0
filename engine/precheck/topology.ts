/** Cluster layout from CLUSTER SLOTS: the masters and the slots they serve. */
import type Redis from 'ioredis';

export const CLUSTER_SLOTS = 16384;

export interface ClusterShard {
  host: string;
  port: number;
  slots: [number, number][];
}

type SlotRow = [number, number, [string, number, ...unknown[]], ...unknown[]];

/** Masters of the cluster the client is connected to, with their slot ranges. */
export async function clusterShards(client: Redis, fallbackHost: string): Promise<ClusterShard[]> {
  const rows = (await client.call('CLUSTER', 'SLOTS')) as SlotRow[];
  const byAddr = new Map<string, ClusterShard>();
  for (const [start, end, master] of rows) {
    const host = master[0] && master[0] !== '' && master[0] !== '?' ? String(master[0]) : fallbackHost;
    const port = Number(master[1]);
    const key = `${host}:${port}`;
    let shard = byAddr.get(key);
    if (!shard) {
      shard = { host, port, slots: [] };
      byAddr.set(key, shard);
    }
    shard.slots.push([Number(start), Number(end)]);
  }
  return [...byAddr.values()].sort((a, b) => a.host.localeCompare(b.host) || a.port - b.port);
}

export function coveredSlots(shards: ClusterShard[]): number {
  const seen = new Uint8Array(CLUSTER_SLOTS);
  for (const s of shards) for (const [a, b] of s.slots) for (let i = a; i <= b && i < CLUSTER_SLOTS; i++) seen[i] = 1;
  return seen.reduce((n, v) => n + v, 0);
}
