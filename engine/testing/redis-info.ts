/**
 * What a test reads from a server's INFO: its replication fields, its master
 * replication offset, its process id, and the DBs that hold keys.
 */
import type Redis from 'ioredis';

export async function infoReplication(client: Redis): Promise<Record<string, string>> {
  const text = String(await client.info('replication'));
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

export async function masterReplOffset(client: Redis): Promise<number> {
  const info = String(await client.info('replication'));
  const m = /^master_repl_offset:(\d+)/m.exec(info);
  if (!m) throw new Error(`no master_repl_offset in INFO replication:\n${info}`);
  return Number(m[1]);
}

export async function serverPid(client: Redis): Promise<number> {
  const m = /process_id:(\d+)/.exec(String(await client.info('server')));
  if (!m) throw new Error('no process_id in INFO server');
  return Number(m[1]);
}

/** The DBs that hold keys on either side. */
export async function keyspaceDbs(...clients: Redis[]): Promise<number[]> {
  const dbs = new Set<number>();
  for (const c of clients) {
    for (const m of String(await c.info('keyspace')).matchAll(/^db(\d+):/gm)) dbs.add(Number(m[1]));
  }
  return [...dbs].sort((a, b) => a - b);
}
