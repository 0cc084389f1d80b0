import {
  hasFeature, readsSnapshotOf, rdbMagicOf, rdbVersionOf, serverLabel, unreadableSnapshot, type Feature, type ServerVersion,
} from '../../servers/facts';
import { atLeast, parseVersion, serverVersionOf, type ServerInfo } from '../info';
import type { NodeHandle } from '../context';
import { failed, passed, warning, type Outcome, type PrecheckItemDef } from './item';

/** Oldest source the engine replicates from (PSYNC). */
export const MIN_SOURCE_VERSION = '2.8.0';
/** Newest major version of each family the engine was tested with (the compatibility suite). */
export const MAX_KNOWN_MAJOR: Readonly<Record<ServerVersion['product'], number>> = { redis: 8, valkey: 9 };

function shownOf(info: ServerInfo): string {
  const { version, flavor, flavorVersion } = info;
  return `${flavor} ${flavorVersion ?? version}${flavorVersion ? ` (Redis ${version} compatible)` : ''}`;
}

function rdbOf(v: ServerVersion): string {
  return `RDB ${rdbMagicOf(v) === 'VALKEY' ? 'VALKEY ' : ''}${rdbVersionOf(v)}`;
}

export const sourceVersion: PrecheckItemDef = {
  id: 'source-version',
  name: 'Source database version',
  ignorable: true,
  async run(ctx) {
    const { seed } = await ctx.need('source');
    const { version } = seed.info;
    const shown = shownOf(seed.info);
    if (version === 'unknown' || parseVersion(version)[0] === 0) {
      return failed('The source does not report a Redis version (INFO server has no redis_version).', [],
        'Use a Redis, Tair or Valkey server; the engine needs the Redis replication protocol.');
    }
    const v = serverVersionOf(seed.info);
    const details = [`Source: ${shown}, ${rdbOf(v)}.`];
    if (!atLeast(version, MIN_SOURCE_VERSION)) {
      return failed(`${shown} is not supported: the engine needs Redis ${MIN_SOURCE_VERSION} or later (PSYNC).`, details,
        `Upgrade the source to Redis ${MIN_SOURCE_VERSION} or later.`);
    }
    // The same rule the parser applies to the snapshot's header (servers/facts.ts PARSER_READS).
    const unreadable = unreadableSnapshot(v);
    if (unreadable) {
      return failed(`${unreadable}: the task would fail when the snapshot arrives.`, details,
        'Migrate from a server version whose RDB format the engine reads, or upgrade redis-dts.');
    }
    if (v.major > MAX_KNOWN_MAJOR[v.product]) {
      return warning(`${shown} is newer than the versions this engine was tested with (up to ${v.product === 'valkey' ? 'Valkey' : 'Redis'} ${MAX_KNOWN_MAJOR[v.product]}.x).`, details,
        'The task fails with a clear error if the snapshot holds an encoding the engine does not know.');
    }
    return passed(`${shown} is supported.`, details);
  },
};

/** Features whose commands a source's stream may carry and that the engine translates for a destination that lacks them. */
const TRANSLATED: readonly [Feature, string][] = [
  ['hsetex', 'HSETEX/HGETEX'], ['hgetdel', 'HGETDEL'], ['lmove', 'LMOVE'], ['popCount', 'LPOP/RPOP with a count'],
  ['setAbsoluteExpiry', 'SET … PXAT'], ['expireFlags', 'PEXPIREAT … GT/LT/NX/XX'], ['streamMetadata', 'XGROUP/XSETID … ENTRIESREAD/ENTRIESADDED'],
  ['setIfeq', 'SET … IFEQ'], ['copy', 'COPY'],
];

/** Keys whose hash fields carry their own expiry, per INFO keyspace (Redis 7.4+ subexpiry, Valkey 9 keys_with_volatile_items). */
function fieldTtlKeys(info: ServerInfo): number {
  let n = 0;
  for (const [name, value] of Object.entries(info.fields)) {
    if (!/^db\d+$/.test(name)) continue;
    const m = /(?:^|,)(?:subexpiry|keys_with_volatile_items)=(\d+)/.exec(value);
    if (m) n += Number(m[1]);
  }
  return n;
}

async function functionLibraries(node: NodeHandle): Promise<number | undefined> {
  try {
    const list = (await node.client.call('FUNCTION', 'LIST')) as unknown[];
    return Array.isArray(list) ? list.length : 0;
  } catch {
    return undefined; // before 7.0: no functions
  }
}

export const versionCompat: PrecheckItemDef = {
  id: 'version-compat',
  name: 'Destination version ≥ source',
  ignorable: true,
  async run(ctx): Promise<Outcome> {
    const source = await ctx.need('source');
    const target = await ctx.need('target');
    const sv = serverVersionOf(source.seed.info);
    const dests = (target.shards.length ? target.shards : [target.seed]).map((n) => serverVersionOf(n.info));
    // The destination node that can take least of the source: one that cannot RESTORE its payloads, else the oldest.
    const dv = dests.find((d) => !readsSnapshotOf(d, sv)) ?? dests.reduce((a, b) => (rdbVersionOf(b) < rdbVersionOf(a) ? b : a));
    const s = serverLabel(sv);
    const d = serverLabel(dv);
    const details = [`Source ${s} (${rdbOf(sv)}), destination ${d} (${rdbOf(dv)}).`];

    // What the source holds that the destination cannot store: looked up in the data, not only the versions.
    const problems: string[] = [];
    if (!hasFeature(dv, 'fieldTtl')) {
      const n = source.shards.reduce((sum, node) => sum + fieldTtlKeys(node.info), 0);
      if (n > 0) problems.push(`the source holds ${n} hash key(s) whose fields carry their own expiry (INFO keyspace), which ${d} cannot store (hash-field TTLs need Redis 7.4 or Valkey 9.0)`);
    }
    if (!hasFeature(dv, 'functions')) {
      let libs = 0;
      for (const node of source.shards) libs += (await functionLibraries(node)) ?? 0;
      if (libs > 0) problems.push(`the source holds ${libs} function librar${libs === 1 ? 'y' : 'ies'} (FUNCTION LIST), which ${d} cannot store (functions need Redis 7.0)`);
    }
    const lacks = TRANSLATED.filter(([f]) => hasFeature(sv, f) && !hasFeature(dv, f)).map(([, words]) => words);
    if (lacks.length) details.push(`Commands the source may send that the destination lacks are translated: ${lacks.join(', ')}; a command that cannot be translated fails the task, naming it.`);
    if (problems.length) {
      return failed(`${problems.map((p) => p[0].toUpperCase() + p.slice(1)).join('; ')}.`, details,
        'Use a newer destination, or leave those keys out of the task (a key filter). If the task meets such a key anyway, it fails naming it.');
    }

    if (!readsSnapshotOf(dv, sv)) {
      const why = sv.product !== dv.product && rdbVersionOf(sv) >= 12
        ? `${d} does not accept ${sv.product === 'valkey' ? 'Valkey' : 'Redis'}'s ${rdbOf(sv)} payloads`
        : `the destination (${d}) is older than the source (${s})`;
      return warning(`${why[0].toUpperCase()}${why.slice(1)}: values are rewritten as commands instead of RESTORE, which is slower, and types the destination lacks fail the task.`,
        details, `Use a destination that reads ${rdbOf(sv)} (the source's version or newer, of the same family) for the fastest, exact copy.`);
    }
    if (rdbVersionOf(dv) === rdbVersionOf(sv) && (dv.major !== sv.major || dv.minor !== sv.minor || dv.product !== sv.product)) {
      return passed(`The destination (${d}) reads the source's RDB format (${rdbOf(sv)}).`, details);
    }
    return passed(`The destination (${d}) reads the source's RDB format and is the same version as the source or newer.`, details);
  },
};
