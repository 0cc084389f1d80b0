import { failed, passed, type PrecheckItemDef } from './item';

const SAMPLE = 5;

export const targetExistence: PrecheckItemDef = {
  id: 'target-existence',
  name: 'Destination Object Data Existence Check',
  ignorable: true,
  async run(ctx) {
    if (ctx.options.conflictMode === 'ignore') {
      return passed('Skipped: Ignore Errors And Continue Execution overwrites keys that already exist in the destination.');
    }
    const target = await ctx.need('target');
    const targetDbs = [...new Set(ctx.options.dbs.map((d) => d.targetDb))].sort((a, b) => a - b);
    const details: string[] = [];
    const occupied: string[] = [];
    /** A DB that could not be asked is not known to be empty, nor to hold keys. */
    const unchecked: string[] = [];
    for (const db of targetDbs) {
      for (const node of target.shards) {
        const where = target.shards.length > 1 ? `DB ${db} on ${node.address}` : `DB ${db}`;
        try {
          if (db !== 0 || target.seed.info.mode !== 'cluster') await node.client.call('SELECT', String(db));
          const size = Number(await node.client.call('DBSIZE'));
          if (size > 0) {
            const [, keys] = (await node.client.call('SCAN', '0', 'COUNT', '50')) as [string, string[]];
            occupied.push(where);
            details.push(`${where}: ${size} key(s), e.g. ${keys.slice(0, SAMPLE).map((k) => JSON.stringify(k)).join(', ')}`);
          } else {
            details.push(`${where}: empty`);
          }
        } catch (err) {
          unchecked.push(where);
          details.push(`${where}: cannot be checked — ${(err as Error).message}`);
        } finally {
          if (db !== 0 && target.seed.info.mode !== 'cluster') await node.client.call('SELECT', '0').catch(() => undefined);
        }
      }
    }
    if (occupied.length) {
      return failed(`Keys already exist in the destination (${occupied.join(', ')}) and the conflict mode is Precheck And Block.`, details,
        'Empty those destination DBs (FLUSHDB), map the source DBs to empty ones, or choose Ignore Errors And Continue Execution to overwrite same-name keys.');
    }
    if (unchecked.length) {
      return failed(`The destination could not be checked for existing keys (${unchecked.join(', ')}).`, details,
        'Make sure the destination answers SELECT, DBSIZE and SCAN for this account, then run the precheck again.');
    }
    return passed(`The selected destination DB${targetDbs.length > 1 ? 's are' : ' is'} empty (${targetDbs.map((d) => `DB ${d}`).join(', ')}).`, details);
  },
};
