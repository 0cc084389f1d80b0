/**
 * A Redis Cluster's masters, their slots and replicas, read with CLUSTER NODES
 * from any node given. Nodes inherit the seed's credentials and TLS settings
 * (a cluster uses one password for every node).
 */
import { endpointAddress, type RedisEndpoint } from '../endpoint';
import { DtsError } from '../errors';
import { ControlClient } from '../net/socket';
import { RespErrorReply } from '../resp';
import { SLOTS } from './slot';

export interface ClusterNode {
  id: string;
  endpoint: RedisEndpoint;
  role: 'master' | 'replica';
  /** For a replica: its master's id. */
  masterId?: string;
  /** Inclusive slot ranges served (masters only). */
  slots: [number, number][];
}

export interface ClusterTopology {
  /** Masters that serve at least one slot and are not failed, in slot order. */
  masters: ClusterNode[];
  replicas: ClusterNode[];
}

export class ClusterError extends DtsError {}

/** Parses CLUSTER NODES output (stops at `[slot->-node]` migration markers). */
export function parseClusterNodes(text: string, seed: RedisEndpoint): ClusterNode[] {
  const nodes: ClusterNode[] = [];
  for (const line of text.split('\n')) {
    const parts = line.trim().split(' ');
    if (parts.length < 8) continue;
    const [id, addr, flagText, master] = parts;
    const flags = flagText.split(',');
    if (flags.includes('fail') || flags.includes('noaddr') || flags.includes('handshake')) continue;
    const hostPort = addr.split('@')[0];
    const colon = hostPort.lastIndexOf(':');
    let host = hostPort.slice(0, colon);
    const port = Number(hostPort.slice(colon + 1));
    if (!host) host = seed.host; // a node that does not know its own address reports ":port"
    const slots: [number, number][] = [];
    for (const s of parts.slice(8)) {
      if (s.startsWith('[')) break;
      const [a, b] = s.split('-').map(Number);
      slots.push([a, b ?? a]);
    }
    const role = flags.includes('master') ? 'master' : 'replica';
    nodes.push({
      id,
      endpoint: { ...seed, host, port },
      role,
      masterId: role === 'replica' && master !== '-' ? master : undefined,
      slots,
    });
  }
  return nodes;
}

export async function discoverCluster(seed: RedisEndpoint, role: 'source' | 'destination'): Promise<ClusterTopology> {
  const client = await new ControlClient(seed, role).open();
  try {
    const reply = await client.call(['CLUSTER', 'NODES']);
    if (reply instanceof RespErrorReply) {
      throw new ClusterError('NOT_A_CLUSTER', `the ${role} ${endpointAddress(seed)} is not a cluster node: ${reply.message}`,
        'set Instance Mode to Standalone for this side');
    }
    const nodes = parseClusterNodes(String(reply), seed);
    const masters = nodes.filter((n) => n.role === 'master' && n.slots.length > 0)
      .sort((a, b) => a.slots[0][0] - b.slots[0][0]);
    const covered = masters.reduce((n, m) => n + m.slots.reduce((k, [a, b]) => k + b - a + 1, 0), 0);
    if (covered < SLOTS) {
      throw new ClusterError('SLOTS_UNCOVERED', `the ${role} cluster serves only ${covered} of ${SLOTS} slots`,
        'fix the cluster (redis-cli --cluster check / fix) before synchronizing');
    }
    return { masters, replicas: nodes.filter((n) => n.role === 'replica') };
  } finally {
    client.close();
  }
}

/** Slot → index into `masters`; updated by MOVED replies. */
export class SlotMap {
  private readonly owner = new Int16Array(SLOTS).fill(-1);

  constructor(masters: readonly ClusterNode[]) {
    masters.forEach((m, i) => {
      for (const [a, b] of m.slots) this.owner.fill(i, a, b + 1);
    });
  }

  nodeFor(slot: number): number {
    return this.owner[slot];
  }

  assign(slot: number, node: number): void {
    this.owner[slot] = node;
  }
}

/** Whether a server runs in cluster mode (INFO cluster: cluster_enabled:1). */
export async function detectCluster(endpoint: RedisEndpoint, role: 'source' | 'destination'): Promise<boolean> {
  const client = await new ControlClient(endpoint, role).open();
  try {
    const info = await client.call(['INFO', 'cluster']);
    return !(info instanceof RespErrorReply) && /^cluster_enabled:1/m.test(String(info));
  } finally {
    client.close();
  }
}

/**
 * Why a replica should not be read instead of its master (INFO replication of the replica):
 * its link to the master is down or it is still loading its own full sync, so it may lack
 * writes or refuse to serve a replica; undefined when it is in sync.
 */
export function replicaLinkProblem(infoReplication: string): string | undefined {
  const field = (name: string) => new RegExp(`^${name}:(.*)$`, 'm').exec(infoReplication)?.[1]?.trim();
  if (field('role') !== 'slave') return 'it is not a replica';
  const link = field('master_link_status');
  if (link !== 'up') return `its link to the master is ${link ?? 'unknown'}`;
  if (field('master_sync_in_progress') === '1') return 'it is still loading its own full synchronization';
  return undefined;
}

/**
 * Reading replicas (`useReplicas`): the first replica of `master` that is in sync, or undefined (with the
 * reasons, for the task log) when none is — the master is read then.
 */
export async function readableReplica(master: ClusterNode, replicas: readonly ClusterNode[]): Promise<{ replica?: ClusterNode; skipped: string[] }> {
  const skipped: string[] = [];
  for (const r of replicas.filter((n) => n.masterId === master.id)) {
    let problem: string | undefined;
    try {
      const client = await new ControlClient(r.endpoint, 'source').open();
      try {
        const info = await client.call(['INFO', 'replication']);
        problem = info instanceof RespErrorReply ? `INFO replication failed: ${info.message}` : replicaLinkProblem(String(info));
      } finally {
        client.close();
      }
    } catch (err) {
      problem = `it cannot be reached: ${err instanceof Error ? err.message : String(err)}`;
    }
    if (!problem) return { replica: r, skipped };
    skipped.push(`${endpointAddress(r.endpoint)}: ${problem}`);
  }
  return { skipped };
}
