import type { NodeHandle } from '../context';
import { formatBytes, parseInfo } from '../info';
import { passed, warning, type PrecheckItemDef } from './item';

export const MIN_BACKLOG = 1024 * 1024;
/** A link break this long must still resume by partial resync. */
export const BACKLOG_SECONDS = 60;
export const MIN_REPL_TIMEOUT = 60;
export const MIN_REPLICA_BUFFER = 64 * 1024 * 1024;
const RATE_SAMPLE_MS = 1000;

async function configGet(node: NodeHandle, name: string): Promise<string | undefined> {
  const pair = (await node.client.call('CONFIG', 'GET', name)) as string[];
  return pair.length >= 2 ? pair[1] : undefined;
}

export interface ReplicaBufferLimit { hard: number; soft: number; seconds: number }

/** The `replica`/`slave` class of client-output-buffer-limit. */
export function replicaBufferLimit(value: string): ReplicaBufferLimit | undefined {
  const parts = value.trim().split(/\s+/);
  for (let i = 0; i + 3 < parts.length; i += 4) {
    if (parts[i] === 'replica' || parts[i] === 'slave') {
      return { hard: Number(parts[i + 1]), soft: Number(parts[i + 2]), seconds: Number(parts[i + 3]) };
    }
  }
  return undefined;
}

async function writeRate(node: NodeHandle): Promise<number> {
  const offset = async () => Number(parseInfo(String(await node.client.call('INFO', 'replication'))).master_repl_offset ?? 0);
  const a = await offset();
  const t0 = Date.now();
  await new Promise((r) => setTimeout(r, RATE_SAMPLE_MS));
  const b = await offset();
  return Math.max(0, ((b - a) * 1000) / Math.max(Date.now() - t0, 1));
}

export const sourceReplication: PrecheckItemDef = {
  id: 'source-replication',
  name: 'Source replication settings',
  ignorable: true,
  async run(ctx) {
    const source = await ctx.need('source');
    const details: string[] = [];
    const problems: string[] = [];
    const fixes: string[] = [];
    for (const node of source.shards) {
      const at = source.shards.length > 1 ? ` on ${node.address}` : '';
      let backlog: number;
      let timeout: number;
      let buffer: string;
      try {
        backlog = Number(await configGet(node, 'repl-backlog-size'));
        timeout = Number(await configGet(node, 'repl-timeout'));
        buffer = (await configGet(node, 'client-output-buffer-limit')) ?? '';
      } catch (err) {
        problems.push(`cannot read the replication settings${at} (${(err as Error).message})`);
        continue;
      }
      const rate = await writeRate(node);
      const dataset = Number(node.info.fields.used_memory_dataset ?? node.info.usedMemory);
      details.push(`${node.address}: repl-backlog-size ${formatBytes(backlog)}, repl-timeout ${timeout} s, write rate ${formatBytes(rate)}/s, dataset ${formatBytes(dataset)}.`);
      const wantBacklog = Math.max(MIN_BACKLOG, Math.ceil(rate * BACKLOG_SECONDS));
      if (backlog < wantBacklog) {
        problems.push(`repl-backlog-size ${formatBytes(backlog)}${at} holds less than ${BACKLOG_SECONDS} s of writes (or 1 MB): a short link break would force a new full migration`);
        fixes.push(`CONFIG SET repl-backlog-size ${Math.max(wantBacklog, 64 * 1024 * 1024)}`);
      }
      if (timeout < MIN_REPL_TIMEOUT) {
        problems.push(`repl-timeout ${timeout} s${at} is under ${MIN_REPL_TIMEOUT} s: a large snapshot may time the link out`);
        fixes.push(`CONFIG SET repl-timeout ${MIN_REPL_TIMEOUT}`);
      }
      const limit = replicaBufferLimit(buffer);
      if (limit) {
        details.push(`${node.address}: client-output-buffer-limit replica ${formatBytes(limit.hard)} ${formatBytes(limit.soft)} ${limit.seconds}`);
        const want = Math.max(MIN_REPLICA_BUFFER, dataset);
        if (limit.hard !== 0 && limit.hard < want) {
          problems.push(`the replica output buffer hard limit ${formatBytes(limit.hard)}${at} is too low for a ${formatBytes(dataset)} dataset: writes during the snapshot could drop the link`);
          const size = Math.max(want * 2, 256 * 1024 * 1024);
          fixes.push(`CONFIG SET client-output-buffer-limit "replica ${size} ${Math.floor(size / 4)} 60"`);
        }
      }
    }
    if (problems.length) {
      return warning(`${problems[0][0].toUpperCase()}${problems[0].slice(1)}${problems.length > 1 ? ` (+${problems.length - 1} more)` : ''}.`,
        [...details, ...problems.map((p) => `Warning: ${p}.`)], [...new Set(fixes)].join('\n') || undefined);
    }
    return passed('Backlog, replication timeout and replica output buffer suit the dataset and write rate.', details);
  },
};
