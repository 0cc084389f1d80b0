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

/** A node's commands sent and not answered yet (what a timeout names). */
export interface Unanswered {
  role: Role;
  address: string;
  commands: string[];
}

export class PrecheckContext {
  private readonly sides = new Map<Role, Promise<SideState>>();
  private readonly clients: { client: Redis; role: Role; address: string }[] = [];
  /** The node each side is opening now (for a side that does not finish opening in time). */
  private readonly opening = new Map<Role, string>();
  private closed = false;

  /**
   * @param timeoutMs how long one command (or connection) waits for an answer
   * @param itemTimeoutMs how long one item, or opening one side, may take in all
   */
  constructor(readonly input: PrecheckInput, readonly timeoutMs: number, readonly itemTimeoutMs = timeoutMs * 4) {}

  get options() {
    return this.input.options;
  }

  endpoint(role: Role): RedisEndpoint {
    return role === 'source' ? this.input.source : this.input.target;
  }

  /** The opened side; rejects with the ConnectError of its seed node, or a timeout when opening it takes too long. */
  side(role: Role): Promise<SideState> {
    let p = this.sides.get(role);
    if (!p) {
      p = withTimeLimit(this.open(role), this.itemTimeoutMs, () => {
        const address = this.opening.get(role) ?? addressOf(this.endpoint(role));
        const waiting = this.unanswered().filter((u) => u.role === role && u.address === address).flatMap((u) => u.commands);
        return new ConnectError('timeout',
          `The ${SIDE_LABEL[role]} ${address} did not finish answering within ${Math.round(this.itemTimeoutMs / 1000)} s`
            + `${waiting.length ? ` (no answer to ${[...new Set(waiting)].join(', ')})` : ''}: the port accepts connections but the server does not respond.`,
          'Check that the server is running and not blocked (a long-running command, a paused or overloaded process, a network problem), then run the precheck again.');
      });
      this.sides.set(role, p);
    }
    return p;
  }

  /** Commands sent on this run's connections and not answered yet, per node. */
  unanswered(): Unanswered[] {
    const out: Unanswered[] = [];
    for (const { client, role, address } of this.clients) {
      const commands = client.commandQueue.toArray().map((item) => item.command.name.toUpperCase());
      if (commands.length > 0) out.push({ role, address, commands });
    }
    return out;
  }

  /** Like side(), but for items that depend on it: the failure names the side. */
  async need(role: Role): Promise<SideState> {
    try {
      return await this.side(role);
    } catch (err) {
      throw new SideUnavailableError(role, err as ConnectError);
    }
  }

  private async openNode(role: Role, endpoint: RedisEndpoint): Promise<NodeHandle> {
    const address = addressOf(endpoint);
    const client = await openRedis(endpoint, { timeoutMs: this.timeoutMs, name: 'redis-dts-precheck' });
    // Opened after its side's time limit, and after the run ended: nobody will close it later.
    if (this.closed) closeRedis(client);
    else this.clients.push({ client, role, address });
    return { address, endpoint, client, info: await readServerInfo(client) };
  }

  private async open(role: Role): Promise<SideState> {
    const endpoint = this.endpoint(role);
    this.opening.set(role, addressOf(endpoint));
    const seed = await this.openNode(role, endpoint);
    const state: SideState = { role, endpoint, seed, shards: [seed], unreachable: [] };
    if (seed.info.mode === 'cluster' && endpoint.mode === 'cluster') {
      state.cluster = await clusterShards(seed.client, endpoint.host);
      // In parallel: one silent shard must not use up the whole side's time limit one after another.
      const opened = await Promise.all(state.cluster.map(async (shard) => {
        const shardEp = { ...endpoint, host: shard.host, port: shard.port };
        const address = addressOf(shardEp);
        if (address === seed.address) return { node: seed };
        try {
          return { node: await this.openNode(role, shardEp) };
        } catch (err) {
          return { failure: { address, error: err as ConnectError } };
        }
      }));
      state.shards = opened.flatMap((o) => (o.node ? [o.node] : []));
      state.unreachable = opened.flatMap((o) => (o.failure ? [o.failure] : []));
    }
    this.opening.delete(role);
    return state;
  }

  close(): void {
    this.closed = true;
    for (const c of this.clients.splice(0)) closeRedis(c.client);
  }
}

/** `p`, or the error `onTimeout` makes once `ms` have passed (the work itself goes on; close() ends it). */
export function withTimeLimit<T>(p: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(onTimeout()), ms);
    p.then((v) => { clearTimeout(timer); resolve(v); }, (err: unknown) => { clearTimeout(timer); reject(err); });
  });
}
