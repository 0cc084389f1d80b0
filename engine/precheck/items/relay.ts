/**
 * "Replication relay": whether the destination can replicate the source through the engine
 * (engine/relay/). Runs only for a task whose write method is relay; the rules are relay-possible.ts's.
 */
import { relayCommandObstacles, relayFinding } from '../../relay/relay-possible';
import { failed, passed, warning, type PrecheckItemDef } from './item';

export const relayPossible: PrecheckItemDef = {
  id: 'relay-possible',
  name: 'Replication relay',
  ignorable: false,
  async run(ctx) {
    const [source, target] = [await ctx.need('source'), await ctx.need('target')];
    const mapped = ctx.options.dbs.filter((d) => d.db !== d.targetDb);
    const finding = relayFinding(source.seed.info.fields, target.seed.info.fields, ctx.options.conflictMode === 'ignore', ctx.options.dbs.map((d) => d.db));
    const details = [...finding.details];
    const obstacles = [...finding.obstacles];
    // The task's own settings first; a cluster side is both a setting and a fact of the servers: said once.
    const refusal = ctx.options.relayRefusal ? `${ctx.options.relayRefusal}.` : undefined;
    if (refusal && !obstacles.some((o) => o.reason === refusal)) obstacles.unshift({ reason: refusal, fix: 'use the Commands write method, or remove the setting' });
    if (mapped.length > 0) {
      obstacles.push({ reason: 'Replication relay copies every DB as it is: it cannot map DBs.', fix: 'use the Commands write method' });
    }
    // Managed services refuse CONFIG and REPLICAOF: the relay needs both on the destination.
    const client = target.seed.client;
    obstacles.push(...await relayCommandObstacles((argv) => client.call(argv[0]!, ...argv.slice(1))));
    if (obstacles.length > 0) return failed(obstacles[0]!.reason, [...details, ...obstacles.slice(1).map((o) => o.reason)], obstacles[0]!.fix);
    if (finding.takeover) return passed('The destination already follows this source (an earlier run of the task): it is taken over by partial resync.', details);
    if (finding.warnings.length > 0) return warning(finding.warnings[0]!, details, 'Empty the destination first to keep nothing of its own.');
    return passed('The destination can replicate the source through the engine, as a native replica: it is read-only until the task ends, and an empty one loads the snapshot as it arrives (repl-diskless-load on-empty-db).', details);
  },
};
