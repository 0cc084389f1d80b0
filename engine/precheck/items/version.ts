import { atLeast, compareVersions, parseVersion, rdbVersionOf } from '../info';
import { failed, passed, warning, type PrecheckItemDef } from './item';

/** Oldest source the engine replicates from (PSYNC); newest RDB it parses is version 12. */
export const MIN_SOURCE_VERSION = '2.8.0';
export const MAX_KNOWN_MAJOR = 8;

export const sourceVersion: PrecheckItemDef = {
  id: 'source-version',
  name: 'Source database version',
  ignorable: true,
  async run(ctx) {
    const { seed } = await ctx.need('source');
    const { version, flavor, flavorVersion } = seed.info;
    const shown = `${flavor} ${flavorVersion ?? version}${flavorVersion ? ` (Redis ${version} compatible)` : ''}`;
    const details = [`Source: ${shown}, RDB version ${rdbVersionOf(version)}.`];
    if (version === 'unknown' || parseVersion(version)[0] === 0) {
      return failed('The source does not report a Redis version (INFO server has no redis_version).', details,
        'Use a Redis, Tair or Valkey server; the engine needs the Redis replication protocol.');
    }
    if (!atLeast(version, MIN_SOURCE_VERSION)) {
      return failed(`${shown} is not supported: the engine needs Redis ${MIN_SOURCE_VERSION} or later (PSYNC).`, details,
        `Upgrade the source to Redis ${MIN_SOURCE_VERSION} or later.`);
    }
    if (parseVersion(version)[0] > MAX_KNOWN_MAJOR) {
      return warning(`${shown} is newer than the versions this engine was tested with (up to ${MAX_KNOWN_MAJOR}.x).`, details,
        'The task fails with a clear error if the snapshot holds an encoding the engine does not know.');
    }
    return passed(`${shown} is supported.`, details);
  },
};

export const versionCompat: PrecheckItemDef = {
  id: 'version-compat',
  name: 'Destination version ≥ source',
  ignorable: true,
  async run(ctx) {
    const source = await ctx.need('source');
    const target = await ctx.need('target');
    const s = source.seed.info.version;
    const oldest = target.shards.reduce((min, n) => (compareVersions(n.info.version, min) < 0 ? n.info.version : min), target.seed.info.version);
    const details = [`Source ${s} (RDB ${rdbVersionOf(s)}), destination ${oldest} (RDB ${rdbVersionOf(oldest)}).`];
    if (rdbVersionOf(oldest) < rdbVersionOf(s)) {
      return warning(`The destination (${oldest}) is older than the source (${s}): values are rewritten as commands instead of RESTORE, which is slower, and types the destination lacks fail the task.`,
        details, `Use a destination running Redis ${s} or later for the fastest, exact copy.`);
    }
    if (compareVersions(oldest, s) < 0) {
      return passed(`The destination (${oldest}) reads the source's RDB format (same RDB version as ${s}).`, details);
    }
    return passed(`The destination (${oldest}) is the same version as the source or newer.`, details);
  },
};
