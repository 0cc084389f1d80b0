/**
 * "Test Connection": connect to one side the way the engine will, and say in
 * words what went wrong, or what the server is (version, mode, DBs and their
 * key counts for the objects step).
 */
import {
  addressOf, closeRedis, clusterShards, ConnectError, DEFAULT_TIMEOUT_MS, openRedis, parseCredentials, parseInfo,
  parseKeyspace, readServerInfo, type ConnectFailureKind, type DbKeyCount, type RedisEndpoint,
} from '@/engine/precheck';
import type { TlsSettings } from '@/engine/endpoint';

export interface ConnectionTarget {
  host: string;
  port: number;
  /** The Database Password field as typed: `<password>` or `<user>:<password>`. */
  password?: string;
  /** Absent: non-encrypted. The same settings the task's own connections use. */
  tls?: TlsSettings;
  mode: 'standalone' | 'cluster';
  timeoutMs?: number;
}

export interface ServerSummary {
  ok: true;
  address: string;
  version: string;
  flavor: string;
  mode: 'standalone' | 'cluster';
  role: string;
  /** DBs that hold keys (cluster: DB 0 summed over masters). */
  keyspace: DbKeyCount[];
  /** How many DBs the server has (`databases`; 1 on a cluster). */
  databases: number;
  shards: number;
  usedMemory: number;
  /** Things worth knowing that do not stop the connection (e.g. mode mismatch). */
  notes: string[];
}

export interface ConnectionFailure {
  ok: false;
  address: string;
  kind: ConnectFailureKind;
  message: string;
  hint?: string;
}

export type ConnectionOutcome = ServerSummary | ConnectionFailure;

export function toEndpoint(t: ConnectionTarget): RedisEndpoint {
  const { username, password } = parseCredentials(t.password);
  return { host: t.host, port: t.port, username, password, tls: t.tls, mode: t.mode, audience: 'console' };
}

async function databaseCount(client: Awaited<ReturnType<typeof openRedis>>): Promise<number> {
  try {
    const pair = (await client.call('CONFIG', 'GET', 'databases')) as string[];
    const n = Number(pair[1]);
    return Number.isInteger(n) && n > 0 ? Math.min(n, 256) : 16;
  } catch {
    return 16; // CONFIG may be denied to the account or renamed: assume the default
  }
}

export async function testConnection(target: ConnectionTarget): Promise<ConnectionOutcome> {
  const ep = toEndpoint(target);
  const timeoutMs = target.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const address = addressOf(ep);
  const opened: Awaited<ReturnType<typeof openRedis>>[] = [];
  try {
    const seed = await openRedis(ep, { timeoutMs, name: 'redis-dts-test-connection' });
    opened.push(seed);
    const info = await readServerInfo(seed);
    const notes: string[] = [];
    if (info.mode === 'cluster' && target.mode === 'standalone') {
      notes.push('This server runs in cluster mode but Instance Mode is Standalone: choose Cluster to read every shard.');
    } else if (info.mode === 'standalone' && target.mode === 'cluster') {
      notes.push('Instance Mode is Cluster but this server has cluster mode disabled: choose Standalone.');
    }
    if (ep.tls?.insecure) {
      notes.push('The TLS certificate was not verified (Skip certificate verification): the traffic is encrypted, but nothing proves it reaches this server.');
    }
    if (info.role !== 'master') notes.push(`This node is a ${info.role === 'slave' ? 'replica' : info.role}.`);
    let keyspace = info.keyspace;
    let shards = 1;
    let databases = info.mode === 'cluster' ? 1 : await databaseCount(seed);
    let usedMemory = info.usedMemory;
    if (info.mode === 'cluster' && target.mode === 'cluster') {
      const masters = await clusterShards(seed, ep.host);
      shards = masters.length;
      let keys = 0;
      let expires = 0;
      usedMemory = 0;
      for (const m of masters) {
        const node = await openRedis({ ...ep, host: m.host, port: m.port }, { timeoutMs });
        opened.push(node);
        const fields = parseInfo(String(await node.call('INFO')));
        const db0 = parseKeyspace(fields).find((d) => d.db === 0);
        keys += db0?.keys ?? 0;
        expires += db0?.expires ?? 0;
        usedMemory += Number(fields.used_memory ?? 0);
      }
      keyspace = keys ? [{ db: 0, keys, expires }] : [];
      databases = 1;
    }
    return {
      ok: true, address, version: info.flavorVersion ?? info.version, flavor: info.flavor, mode: info.mode, role: info.role,
      keyspace, databases, shards, usedMemory, notes,
    };
  } catch (err) {
    const e = err instanceof ConnectError ? err : ConnectError.of({ kind: 'other', detail: (err as Error).message }, ep, err);
    return { ok: false, address, kind: e.kind, message: e.message, hint: e.hint };
  } finally {
    for (const c of opened) closeRedis(c);
  }
}
