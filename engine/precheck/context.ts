/**
 * Connections shared by the precheck items of one run: each side is opened
 * once (the seed node, then every master shard of a cluster) and closed at the end.
 */
import type Redis from 'ioredis';
import { addressOf, ConnectError, closeRedis, openRedis } from './connect';
import { readServerInfo, type ServerInfo } from './info';
import { clusterShards, type ClusterShard } from './topology';
import type { PrecheckInput, RedisEndpoint } from './types';

export type Role = 'source' | 'target';

export interface NodeHandle {
  address: string;
  endpoint: RedisEndpoint;
  client: Redis;
  info: ServerInfo;
}

export interface SideState {
  role: Role;
  endpoint: RedisEndpoint;
  seed: NodeHandle;
  /** Nodes holding data: the masters of a cluster, or just the seed. */
  shards: NodeHandle[];
  /** Cluster masters that could not be opened with the side's credentials. */
  unreachable: { address: string; error: ConnectError }[];
  cluster?: ClusterShard[];
}

export const SIDE_LABEL: Record<Role, string> = { source: 'source', target: 'destination' };

export class SideUnavailableError extends Error {
  constructor(readonly role: Role, readonly cause: ConnectError) {
    super(`Not checked: the ${SIDE_LABEL[role]} database cannot be connected (${cause.message})`);
  }
}

export class PrecheckContext {
  private readonly sides = new Map<Role, Promise<SideState>>();
  private readonly clients: Redis[] = [];

  constructor(readonly input: PrecheckInput, readonly timeoutMs: number) {}

  get options() {
    return this.input.options;
  }

  endpoint(role: Role): RedisEndpoint {
    return role === 'source' ? this.input.source : this.input.target;
  }

  /** The opened side; rejects with the ConnectError of its seed node. */
  side(role: Role): Promise<SideState> {
    let p = this.sides.get(role);
    if (!p) {
      p = this.open(role);
      this.sides.set(role, p);
    }
    return p;
  }

  /** Like side(), but for items that depend on it: the failure names the side. */
  async need(role: Role): Promise<SideState> {
    try {
      return await this.side(role);
    } catch (err) {
      throw new SideUnavailableError(role, err as ConnectError);
    }
  }

  private async openNode(endpoint: RedisEndpoint): Promise<NodeHandle> {
    const client = await openRedis(endpoint, { timeoutMs: this.timeoutMs, name: 'redis-dts-precheck' });
    this.clients.push(client);
    return { address: addressOf(endpoint), endpoint, client, info: await readServerInfo(client) };
  }

  private async open(role: Role): Promise<SideState> {
    const endpoint = this.endpoint(role);
    const seed = await this.openNode(endpoint);
    const state: SideState = { role, endpoint, seed, shards: [seed], unreachable: [] };
    if (seed.info.mode === 'cluster' && endpoint.mode === 'cluster') {
      state.cluster = await clusterShards(seed.client, endpoint.host);
      state.shards = [];
      for (const shard of state.cluster) {
        const shardEp = { ...endpoint, host: shard.host, port: shard.port };
        const address = addressOf(shardEp);
        if (address === seed.address) {
          state.shards.push(seed);
          continue;
        }
        try {
          state.shards.push(await this.openNode(shardEp));
        } catch (err) {
          state.unreachable.push({ address, error: err as ConnectError });
        }
      }
    }
    return state;
  }

  close(): void {
    for (const c of this.clients.splice(0)) closeRedis(c);
  }
}
