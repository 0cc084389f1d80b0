/**
 * The Destination Object Data Existence Check of "Precheck And Block": before
 * anything is written, the task's destination DBs (every master of a cluster)
 * must hold none of the keys the task carries.
 */
import { discoverCluster } from '../cluster/topology';
import { endpointAddress, type RedisEndpoint } from '../endpoint';
import { isEngineKey, type EntryFilter } from '../filter';
import { ControlClient } from '../net/socket';
import { SyncError } from './errors';

export async function checkDestinationEmpty(target: RedisEndpoint, cluster: boolean, filter: EntryFilter): Promise<void> {
  const nodes = cluster ? (await discoverCluster(target, 'destination')).masters.map((m) => m.endpoint) : [target];
  const found: string[] = [];
  for (const node of nodes) {
    const client = await new ControlClient(node, 'destination').open();
    try {
      const dbs = cluster ? [0] : filter.selectedDbs()?.map((db) => filter.mapDb(db)) ?? (await keyspaceDbs(client));
      for (const db of dbs) {
        if (!cluster) await client.call(['SELECT', db]);
        const sample = await scanSample(client, (k) => filter.acceptsKey(k), 5);
        const where = cluster ? `master ${endpointAddress(node)}` : `DB ${db}`;
        if (sample.length > 0) found.push(`${where} (e.g. ${sample.map((k) => JSON.stringify(k.toString())).join(', ')})`);
      }
    } finally {
      client.close();
    }
  }
  if (found.length > 0) {
    throw new SyncError('DESTINATION_NOT_EMPTY',
      `Destination Object Data Existence Check failed: the destination already holds keys in ${found.join('; ')}`,
      'empty those DBs, or choose "Ignore Errors And Continue Execution" (--conflict overwrite) to overwrite same-name keys');
  }
}

async function keyspaceDbs(client: ControlClient): Promise<number[]> {
  const info = String(await client.call(['INFO', 'keyspace']));
  return [...info.matchAll(/^db(\d+):/gm)].map((m) => Number(m[1]));
}

async function scanSample(client: ControlClient, accept: (k: Buffer) => boolean, want: number): Promise<Buffer[]> {
  const out: Buffer[] = [];
  let cursor = '0';
  do {
    const reply = await client.call(['SCAN', cursor, 'COUNT', 1000]);
    if (!Array.isArray(reply)) break;
    cursor = String(reply[0]);
    for (const k of (reply[1] as Buffer[]) ?? []) {
      if (accept(k) && !isEngineKey(k)) out.push(k);
      if (out.length >= want) return out;
    }
  } while (cursor !== '0');
  return out;
}
