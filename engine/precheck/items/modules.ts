import { failed, passed, type PrecheckItemDef } from './item';

type ModuleRow = (string | number)[];

function moduleNames(rows: ModuleRow[]): string[] {
  return rows.map((row) => {
    const i = row.indexOf('name');
    return i >= 0 ? String(row[i + 1]) : String(row[1] ?? row[0]);
  });
}

export const sourceModules: PrecheckItemDef = {
  id: 'source-modules',
  name: 'Modules',
  ignorable: true,
  async run(ctx) {
    const source = await ctx.need('source');
    const found = new Map<string, string[]>();
    const details: string[] = [];
    for (const node of source.shards) {
      try {
        for (const name of moduleNames((await node.client.call('MODULE', 'LIST')) as ModuleRow[])) {
          found.set(name, [...(found.get(name) ?? []), node.address]);
        }
      } catch (err) {
        details.push(`${node.address}: MODULE LIST unavailable (${(err as Error).message}); assuming no modules.`);
      }
    }
    if (found.size) {
      const names = [...found.keys()];
      return failed(`The source loads module${names.length > 1 ? 's' : ''} ${names.map((n) => `"${n}"`).join(', ')}: keys of module types cannot be written by the engine.`,
        [...details, ...[...found.entries()].map(([n, at]) => `Module "${n}" on ${at.join(', ')}.`)],
        'Remove module keys from the selected DBs (or unload the module). If you are sure no selected DB holds module keys, ignore this item: the task fails, naming the key, if it meets one.');
    }
    return passed('The source loads no modules.', details);
  },
};
