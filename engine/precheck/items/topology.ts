import { CLUSTER_SLOTS, coveredSlots } from '../topology';
import { SIDE_LABEL, type SideState } from '../context';
import { failed, passed, warning, type PrecheckItemDef } from './item';

function describeSide(side: SideState, problems: string[], details: string[]): void {
  const label = SIDE_LABEL[side.role];
  const declared = side.endpoint.mode;
  const actual = side.seed.info.mode;
  if (declared === 'standalone' && actual === 'cluster') {
    problems.push(`the ${label} is a cluster node but Instance Mode says Standalone: only this node's slots would be ${side.role === 'source' ? 'read' : 'written'}`);
    return;
  }
  if (declared === 'cluster' && actual === 'standalone') {
    problems.push(`Instance Mode says Cluster but the ${label} (${side.seed.address}) has cluster mode disabled`);
    return;
  }
  if (!side.cluster) {
    details.push(`${label}: standalone (${side.seed.address}).`);
    return;
  }
  const covered = coveredSlots(side.cluster);
  details.push(`${label}: cluster with ${side.cluster.length} master shard(s): ${side.cluster.map((s) => `${s.host}:${s.port}`).join(', ')}; ${covered}/${CLUSTER_SLOTS} slots served.`);
  if (covered < CLUSTER_SLOTS) problems.push(`the ${label} cluster serves only ${covered} of ${CLUSTER_SLOTS} slots`);
  const state = side.seed.info.fields.cluster_state;
  for (const u of side.unreachable) {
    problems.push(`${label} shard ${u.address} cannot be opened with the same credentials: ${u.error.message}`);
  }
  if (state && state !== 'ok') problems.push(`the ${label} cluster state is ${state}`);
}

export const clusterTopology: PrecheckItemDef = {
  id: 'cluster-topology',
  name: 'Cluster topology',
  ignorable: true,
  async run(ctx) {
    const source = await ctx.need('source');
    const target = await ctx.need('target');
    const problems: string[] = [];
    const details: string[] = [];
    describeSide(source, problems, details);
    describeSide(target, problems, details);
    const sourceCluster = source.seed.info.mode === 'cluster';
    const targetCluster = target.seed.info.mode === 'cluster';
    if (targetCluster) {
      const other = ctx.options.dbs.filter((d) => d.targetDb !== 0);
      if (other.length) {
        problems.push(`a cluster destination has only DB 0, but ${other.map((d) => `DB ${d.db} → DB ${d.targetDb}`).join(', ')} ${other.length > 1 ? 'are' : 'is'} selected`);
      }
    }
    if (sourceCluster) {
      const other = ctx.options.dbs.filter((d) => d.db !== 0);
      if (other.length) problems.push(`a cluster source has only DB 0, but ${other.map((d) => `DB ${d.db}`).join(', ')} ${other.length > 1 ? 'are' : 'is'} selected`);
    }
    if (problems.length) {
      return failed(`${problems[0][0].toUpperCase()}${problems[0].slice(1)}.`, [...details, ...problems.map((p) => `Problem: ${p}.`)],
        'Set Instance Mode to what the server runs, map every selected DB to DB 0 for a cluster destination, and make every shard accept the same password.');
    }
    const merged = new Map<number, number[]>();
    for (const d of ctx.options.dbs) merged.set(d.targetDb, [...(merged.get(d.targetDb) ?? []), d.db]);
    const collisions = [...merged.entries()].filter(([, dbs]) => dbs.length > 1);
    if (collisions.length) {
      return warning(`Several source DBs are written into one destination DB (${collisions.map(([t, dbs]) => `${dbs.map((d) => `DB ${d}`).join(' + ')} → DB ${t}`).join('; ')}): same-name keys overwrite each other.`,
        details, 'Map each source DB to its own destination DB, or make sure their key names never collide.');
    }
    if (targetCluster && !sourceCluster) {
      details.push('Cross-slot commands from the standalone source (MSET, RENAME, SMOVE, *STORE, MULTI/EXEC, …) are split or emulated per slot on the cluster destination.');
    }
    return passed(sourceCluster || targetCluster ? 'Every shard is reachable with the same credentials and all slots are served.' : 'Both sides are standalone.', details);
  },
};
