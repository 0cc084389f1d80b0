/**
 * Runs every precheck item in order, reporting each result as it completes.
 * An item never throws: an unexpected error becomes its Failed result.
 */
import { PrecheckContext, SideUnavailableError } from './context';
import { DEFAULT_TIMEOUT_MS } from './connect';
import { sourceConnectivity, targetConnectivity } from './items/connectivity';
import { targetExistence } from './items/existence';
import type { PrecheckItemDef } from './items/item';
import { targetEviction, targetMemory } from './items/memory';
import { sourceModules } from './items/modules';
import { sourcePsync } from './items/permission';
import { sourceReplication } from './items/replication';
import { clusterTopology } from './items/topology';
import { sourceVersion, versionCompat } from './items/version';
import type { PrecheckInput, PrecheckItemId, PrecheckResult } from './types';

/** The items in the order they run and are shown. */
export const PRECHECK_ITEMS: readonly PrecheckItemDef[] = [
  sourceConnectivity,
  targetConnectivity,
  sourceVersion,
  versionCompat,
  sourcePsync,
  targetMemory,
  targetEviction,
  targetExistence,
  sourceReplication,
  clusterTopology,
  sourceModules,
];

export interface PrecheckItemInfo {
  id: PrecheckItemId;
  name: string;
  ignorable: boolean;
}

export const PRECHECK_ITEM_INFO: readonly PrecheckItemInfo[] = PRECHECK_ITEMS.map(({ id, name, ignorable }) => ({ id, name, ignorable }));

export interface RunPrechecksOptions {
  timeoutMs?: number;
  /** Called as each item completes, in order. */
  onResult?: (result: PrecheckResult) => void | Promise<void>;
  /** Only these items (default: all). */
  only?: readonly PrecheckItemId[];
}

export async function runPrecheckItem(item: PrecheckItemDef, ctx: PrecheckContext): Promise<PrecheckResult> {
  const base = { id: item.id, name: item.name, ignorable: item.ignorable };
  try {
    const o = await item.run(ctx);
    return { ...base, status: o.status, reason: o.reason, details: o.details ?? [], fix: o.fix };
  } catch (err) {
    if (err instanceof SideUnavailableError) {
      return { ...base, status: 'failed', reason: err.message, details: [], fix: err.cause.hint };
    }
    return { ...base, status: 'failed', reason: `The check could not run: ${(err as Error).message}`, details: [] };
  }
}

export async function runPrechecks(input: PrecheckInput, opts: RunPrechecksOptions = {}): Promise<PrecheckResult[]> {
  const ctx = new PrecheckContext(input, opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const results: PrecheckResult[] = [];
  try {
    // Open both sides at once; items then share the connections.
    await Promise.allSettled([ctx.side('source'), ctx.side('target')]);
    for (const item of PRECHECK_ITEMS) {
      if (opts.only && !opts.only.includes(item.id)) continue;
      const result = await runPrecheckItem(item, ctx);
      results.push(result);
      await opts.onResult?.(result);
    }
    return results;
  } finally {
    ctx.close();
  }
}

/** Whether a set of results lets a task go on: no Failed item, except those ignored. */
export function precheckPasses(results: readonly Pick<PrecheckResult, 'id' | 'status'>[], ignored: readonly string[] = []): boolean {
  return results.every((r) => r.status !== 'failed' || ignored.includes(r.id));
}
