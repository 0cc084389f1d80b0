/**
 * What a task's destination DBs already hold: the Destination Object Data
 * Existence Check of "Precheck And Block" (before anything is written, the
 * task's destination DBs — every master of a cluster — must hold none of the
 * keys the task carries), and the same scan for whether the task may treat the
 * destination as its own, and for clearing it (destination-reset.ts).
 */
import { discoverCluster } from '../cluster/topology';
import { endpointAddress, type RedisEndpoint } from '../endpoint';
import type { EntryFilter } from '../filter';
import { ControlClient } from '../net/socket';
import { RespErrorReply } from '../resp';
import { SyncError } from './errors';

/** Where the task's keys live on the destination: each node with the DBs the task writes there. */
export interface DestinationScope {
  node: RedisEndpoint;
  /** `DB n` or `master host:port`, for messages. */
  dbs: { db: number; where: string }[];
}

export async function destinationScopes(target: RedisEndpoint, cluster: boolean, filter: EntryFilter): Promise<DestinationScope[]> {
  if (cluster) {
    const masters = (await discoverCluster(target, 'destination')).masters;
    return masters.map((m) => ({ node: m.endpoint, dbs: [{ db: 0, where: `master ${endpointAddress(m.endpoint)}` }] }));
  }
  const selected = filter.selectedDbs()?.map((db) => filter.mapDb(db));
  const dbs = selected ? [...new Set(selected)] : await withClient(target, keyspaceDbs);
  return [{ node: target, dbs: dbs.map((db) => ({ db, where: `DB ${db}` })) }];
}

/** Up to `want` keys the task would carry, per place they were found. */
export async function sampleDestinationKeys(target: RedisEndpoint, cluster: boolean, filter: EntryFilter, want: number,
  accept: (key: Buffer) => boolean = (k) => filter.acceptsKey(k)): Promise<{ where: string; keys: Buffer[] }[]> {
  const found: { where: string; keys: Buffer[] }[] = [];
  for (const scope of await destinationScopes(target, cluster, filter)) {
    await withClient(scope.node, async (client) => {
      for (const { db, where } of scope.dbs) {
        if (!cluster) await client.call(['SELECT', db]);
        const keys: Buffer[] = [];
        await scanKeys(client, (batch) => {
          for (const k of batch) if (accept(k)) keys.push(k);
          return keys.length < want;
        });
        if (keys.length > 0) found.push({ where, keys: keys.slice(0, want) });
      }
    });
  }
  return found;
}

export async function checkDestinationEmpty(target: RedisEndpoint, cluster: boolean, filter: EntryFilter): Promise<void> {
  const found = await sampleDestinationKeys(target, cluster, filter, 5);
  if (found.length > 0) {
    const places = found.map((f) => `${f.where} (e.g. ${f.keys.map((k) => JSON.stringify(k.toString())).join(', ')})`);
    throw new SyncError('DESTINATION_NOT_EMPTY',
      `Destination Object Data Existence Check failed: the destination already holds keys in ${places.join('; ')}`,
      'empty those DBs, or choose "Ignore Errors And Continue Execution" (--conflict overwrite) to overwrite same-name keys');
  }
}

/** SCANs the selected DB of `client`, handing each batch of keys to `onBatch` until it returns false. */
export async function scanKeys(client: ControlClient, onBatch: (keys: Buffer[]) => boolean | Promise<boolean>): Promise<void> {
  let cursor = '0';
  do {
    const reply = await client.call(['SCAN', cursor, 'COUNT', 1000]);
    if (reply instanceof RespErrorReply) {
      throw new SyncError('DESTINATION_SCAN', `the destination ${endpointAddress(client.endpoint)} refused SCAN: ${reply.message}`,
        'the destination account needs the SCAN command');
    }
    if (!Array.isArray(reply)) break;
    cursor = String(reply[0]);
    if (!(await onBatch((reply[1] as Buffer[]) ?? []))) return;
  } while (cursor !== '0');
}

async function keyspaceDbs(client: ControlClient): Promise<number[]> {
  const info = String(await client.call(['INFO', 'keyspace']));
  return [...info.matchAll(/^db(\d+):/gm)].map((m) => Number(m[1]));
}

async function withClient<T>(node: RedisEndpoint, use: (client: ControlClient) => Promise<T>): Promise<T> {
  const client = await new ControlClient(node, 'destination').open();
  try {
    return await use(client);
  } finally {
    client.close();
  }
}
