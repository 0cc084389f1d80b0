/**
 * Modules (issue 14): a key of a module type travels as its module's own payload (RESTORE), so
 * the destination must load the same module. The item compares MODULE LIST on both sides (with
 * the modules built into each version: Redis 8's "vectorset") and, for a module the destination
 * lacks, looks at the data: keys of its types in the selected DBs (SCAN … TYPE), so that a
 * Redis 8 source without vector sets passes into a Valkey destination and one holding them fails.
 */
import { builtinModules, moduleNamesOf, serverLabel, typesOfModule } from '../../servers/facts';
import type { NodeHandle } from '../context';
import { serverVersionOf } from '../info';
import { failed, passed, warning, type PrecheckItemDef } from './item';

/** Keys SCAN looks at per call, and in all per module type and node before the count is given up as unfinished. */
const SCAN_COUNT = 1000;
const SCAN_BUDGET = 2_000_000;
/** Example keys named per module. */
const EXAMPLES = 3;

/** A node's modules: MODULE LIST with its version's built-in ones, or only those when MODULE LIST is refused. */
async function modulesOf(node: NodeHandle, details: string[], side: string): Promise<string[]> {
  const builtin = builtinModules(serverVersionOf(node.info));
  try {
    const names = moduleNamesOf(await node.client.call('MODULE', 'LIST'));
    if (names) return [...new Set([...builtin, ...names])];
    details.push(`${side} ${node.address}: MODULE LIST gave an answer this engine cannot read; counting only the modules built into its version.`);
  } catch (err) {
    details.push(`${side} ${node.address}: MODULE LIST unavailable (${(err as Error).message}); counting only the modules built into its version.`);
  }
  return builtin;
}

interface TypeCount {
  keys: number;
  examples: string[];
  /** The scan stopped before the end (budget or time), or could not run. */
  unfinished: string | undefined;
}

/** Keys of these types in these DBs of a node (SCAN … TYPE, Redis 6.0+), bounded by SCAN_BUDGET and the deadline. */
async function countTypes(node: NodeHandle, dbs: number[], types: string[], deadline: number, cluster: boolean): Promise<TypeCount> {
  const out: TypeCount = { keys: 0, examples: [], unfinished: undefined };
  for (const db of dbs) {
    if (!node.info.keyspace.some((k) => k.db === db && k.keys > 0)) continue;
    try {
      if (!cluster) await node.client.call('SELECT', String(db));
      for (const type of types) {
        let cursor = '0';
        let looked = 0;
        do {
          if (looked >= SCAN_BUDGET || Date.now() > deadline) {
            out.unfinished = `stopped after ${looked} keys of DB ${db}`;
            return out;
          }
          const [next, keys] = (await node.client.call('SCAN', cursor, 'COUNT', String(SCAN_COUNT), 'TYPE', type)) as [string, string[]];
          cursor = String(next);
          looked += SCAN_COUNT;
          out.keys += keys.length;
          for (const k of keys) if (out.examples.length < EXAMPLES) out.examples.push(k);
        } while (cursor !== '0');
      }
    } catch (err) {
      out.unfinished = `SCAN … TYPE failed: ${(err as Error).message}`;
      return out;
    } finally {
      if (!cluster && db !== 0) await node.client.call('SELECT', '0').catch(() => undefined);
    }
  }
  return out;
}

export const sourceModules: PrecheckItemDef = {
  id: 'source-modules',
  name: 'Modules',
  ignorable: true,
  async run(ctx) {
    const source = await ctx.need('source');
    const target = await ctx.need('target');
    const details: string[] = [];
    const found = new Map<string, string[]>();
    for (const node of source.shards) {
      for (const name of await modulesOf(node, details, 'Source')) found.set(name, [...(found.get(name) ?? []), node.address]);
    }
    if (found.size === 0) return passed('The source loads no modules.', details);

    // A module counts as loaded on the destination only if every master loads it.
    const destNodes = target.shards.length ? target.shards : [target.seed];
    const perNode = await Promise.all(destNodes.map((n) => modulesOf(n, details, 'Destination')));
    const loaded = (m: string) => perNode.every((names) => names.some((n) => n.toLowerCase() === m.toLowerCase()));
    const dest = serverLabel(serverVersionOf(destNodes[0].info));
    for (const [n, at] of found) details.push(`Module "${n}" on the source (${at.join(', ')}), ${loaded(n) ? 'loaded' : 'not loaded'} on the destination.`);

    const names = [...found.keys()];
    const missing = names.filter((m) => !loaded(m));
    const copied = names.filter((m) => loaded(m));
    const copiedText = copied.length ? ` Keys of ${quoted(copied)} are copied as they are (RESTORE of the module's own payload).` : '';
    if (missing.length === 0) {
      return passed(`The destination loads the source's module${names.length > 1 ? 's' : ''} ${quoted(names)}: their keys are copied as they are (RESTORE).`, details);
    }

    // For each module the destination lacks: does the data hold keys of its types?
    const dbs = ctx.options.dbs.map((d) => d.db);
    const cluster = source.seed.info.mode === 'cluster';
    const deadline = Date.now() + ctx.itemTimeoutMs / 2;
    const holding: string[] = [];
    const unknown: string[] = [];
    const unfinished: string[] = [];
    for (const m of missing) {
      const types = typesOfModule(m);
      if (types.length === 0) {
        unknown.push(m);
        continue;
      }
      let keys = 0;
      const examples: string[] = [];
      for (const node of source.shards) {
        const c = await countTypes(node, dbs, types, deadline, cluster);
        keys += c.keys;
        examples.push(...c.examples);
        if (c.unfinished) unfinished.push(`"${m}" on ${node.address}: ${c.unfinished}`);
      }
      details.push(`Keys of module "${m}" (type${types.length > 1 ? 's' : ''} ${types.join(', ')}) in the selected DBs: ${keys}${examples.length ? `, e.g. "${examples.slice(0, EXAMPLES).join('", "')}"` : ''}.`);
      if (keys > 0) holding.push(`${keys} key(s) of module "${m}" (e.g. "${examples[0]}")`);
    }
    const fix = `Load ${quoted(missing)} on the destination${missing.includes('vectorset') ? ' (vector sets are built into Redis 8.0 and newer)' : ''}, or leave those keys out of the task with a key filter.`;
    const writesFail = ' Writes to such keys later (VADD, …) fail the task, naming the command.';
    if (holding.length) {
      return failed(`The source holds ${holding.join(' and ')}, which the destination (${dest}) does not load: the task would fail on the first of them, naming it.${copiedText}`,
        details, `${fix} The task fails, naming the key, if it meets one anyway.`);
    }
    if (unknown.length) {
      return failed(`The source loads module${unknown.length > 1 ? 's' : ''} ${quoted(unknown)}, which the destination (${dest}) does not load: keys of ${unknown.length > 1 ? 'their' : 'its'} types cannot be written there.${copiedText}`,
        details, `${fix} If you are sure no selected DB holds such keys, ignore this item: the task fails, naming the key, if it meets one.`);
    }
    if (unfinished.length) {
      return warning(`The source loads ${quoted(missing)}, which the destination (${dest}) does not load, and the selected DBs could not all be searched for keys of ${missing.length > 1 ? 'their' : 'its'} types (${unfinished.join('; ')}).${copiedText}`,
        details, `${fix} The task fails, naming the key, if it meets one.`);
    }
    return passed(`The source loads ${quoted(missing)}, which the destination (${dest}) does not load, but the selected DBs hold no keys of ${missing.length > 1 ? 'their' : 'its'} types.${writesFail}${copiedText}`, details);
  },
};

function quoted(names: string[]): string {
  return names.map((n) => `"${n}"`).join(', ');
}
