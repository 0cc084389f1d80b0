import { formatBytes } from '../info';
import { failed, passed, warning, type PrecheckItemDef } from './item';

export const MEMORY_WARN_RATIO = 1.1;

export const targetMemory: PrecheckItemDef = {
  id: 'target-memory',
  name: 'Destination memory',
  ignorable: true,
  async run(ctx) {
    const source = await ctx.need('source');
    const target = await ctx.need('target');
    const used = source.shards.reduce((n, s) => n + s.info.usedMemory, 0);
    const limits = target.shards.map((s) => s.info.maxmemory);
    const details = [`Source used_memory: ${formatBytes(used)} (${used} bytes) over ${source.shards.length} shard(s).`];
    if (limits.some((m) => m === 0)) {
      const host = target.seed.info.totalSystemMemory;
      details.push(`Destination maxmemory: not set (0)${host ? `; the host has ${formatBytes(host)} of memory` : ''}.`);
      return passed('The destination has no maxmemory limit; it is bounded by its host\'s memory.', details);
    }
    const max = limits.reduce((a, b) => a + b, 0);
    const ratio = max / Math.max(used, 1);
    details.push(`Destination maxmemory: ${formatBytes(max)} (${max} bytes) over ${target.shards.length} shard(s), ${ratio.toFixed(2)}× the source's used memory.`);
    const want = Math.ceil((used * MEMORY_WARN_RATIO) / target.shards.length);
    const fix = `CONFIG SET maxmemory ${want}${target.shards.length > 1 ? ' (on every destination shard)' : ''}`;
    if (ratio < 1) {
      return failed(`The destination's maxmemory (${formatBytes(max)}) is smaller than the memory the source uses (${formatBytes(used)}): writes would fail with OOM.`, details, fix);
    }
    if (ratio < MEMORY_WARN_RATIO) {
      return warning(`The destination's maxmemory (${formatBytes(max)}) is less than 10% above the source's used memory (${formatBytes(used)}).`, details, fix);
    }
    return passed(`The destination's maxmemory is ${ratio.toFixed(1)}× the source's used memory.`, details);
  },
};

export const targetEviction: PrecheckItemDef = {
  id: 'target-eviction',
  name: 'Destination eviction policy',
  ignorable: true,
  async run(ctx) {
    const target = await ctx.need('target');
    const details = target.shards.map((s) => `${s.address}: maxmemory-policy ${s.info.maxmemoryPolicy}`);
    const evicting = target.shards.filter((s) => s.info.maxmemoryPolicy !== 'noeviction');
    if (evicting.length) {
      return warning(`The destination evicts keys when full (${evicting[0].info.maxmemoryPolicy}): data could differ from the source without the task failing.`,
        details, `CONFIG SET maxmemory-policy noeviction${target.shards.length > 1 ? ' (on every destination shard)' : ''}`);
    }
    return passed('The destination never evicts keys (noeviction): a full destination fails the task instead of losing data.', details);
  },
};
