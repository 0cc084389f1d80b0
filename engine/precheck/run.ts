/**
 * Runs every precheck item in order, reporting each result as it completes.
 * An item never throws: an unexpected error becomes its Failed result. Nothing
 * waits forever: each command has a timeout, and each item (and opening each side)
 * a time limit past which it fails naming the server and the commands that did
 * not answer; the whole run is bounded by the items' limits.
 */
import { PrecheckContext, SIDE_LABEL, SideUnavailableError, withTimeLimit } from './context';
import { DEFAULT_TIMEOUT_MS } from './connect';
import { sourceConnectivity, targetConnectivity } from './items/connectivity';
import { targetExistence } from './items/existence';
import type { PrecheckItemDef } from './items/item';
import { targetEviction, targetMemory } from './items/memory';
import { sourceModules } from './items/modules';
import { sourcePsync } from './items/permission';
import { sourceReplication } from './items/replication';
import { relayPossible } from './items/relay';
import { sourceNotifications, sourceScanPermission } from './items/scan';
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
  sourceScanPermission,
  sourceNotifications,
  relayPossible,
];

/** Items of one read method only: PSYNC's in replication mode, SCAN's and the notifications' in scan mode. */
const REPLICATION_ONLY = new Set<PrecheckItemId>(['source-psync', 'source-replication']);
const SCAN_ONLY = new Set<PrecheckItemId>(['source-scan', 'source-notifications']);
/** Only a task whose write method is relay checks what relaying needs. */
const RELAY_ONLY = new Set<PrecheckItemId>(['relay-possible']);

export type ItemSelection = Pick<PrecheckInput['options'], 'readMethod' | 'writeMethod'>;

/** The items a task of this read and write method runs, in order. */
export function precheckItemsFor(task: ItemSelection = {}): readonly PrecheckItemDef[] {
  const skip = new Set([...(task.readMethod === 'scan' ? REPLICATION_ONLY : SCAN_ONLY), ...(task.writeMethod === 'relay' ? [] : RELAY_ONLY)]);
  return PRECHECK_ITEMS.filter((i) => !skip.has(i.id));
}

export interface PrecheckItemInfo {
  id: PrecheckItemId;
  name: string;
  ignorable: boolean;
}

/** The items of a task, as listed before they run. */
export function precheckItemInfo(task: ItemSelection = {}): PrecheckItemInfo[] {
  return precheckItemsFor(task).map(({ id, name, ignorable }) => ({ id, name, ignorable }));
}

export interface RunPrechecksOptions {
  /** How long one command waits for an answer (default 5 s). */
  timeoutMs?: number;
  /** How long one item, or opening one side, may take in all (default 4 × timeoutMs). */
  itemTimeoutMs?: number;
  /** Called as each item completes, in order. */
  onResult?: (result: PrecheckResult) => void | Promise<void>;
  /** Only these items (default: all). */
  only?: readonly PrecheckItemId[];
}

class ItemTimeout extends Error {}

/** An item never runs longer than the context's item time limit: past it, it fails naming what did not answer. */
export async function runPrecheckItem(item: PrecheckItemDef, ctx: PrecheckContext): Promise<PrecheckResult> {
  const base = { id: item.id, name: item.name, ignorable: item.ignorable };
  try {
    const o = await withTimeLimit(item.run(ctx), ctx.itemTimeoutMs, () => new ItemTimeout());
    return { ...base, status: o.status, reason: o.reason, details: o.details ?? [], fix: o.fix };
  } catch (err) {
    if (err instanceof ItemTimeout) return { ...base, status: 'failed', ...timedOut(ctx) };
    if (err instanceof SideUnavailableError) {
      return { ...base, status: 'failed', reason: err.message, details: [], fix: err.cause.hint };
    }
    return { ...base, status: 'failed', reason: `The check could not run: ${(err as Error).message}`, details: [] };
  }
}

function timedOut(ctx: PrecheckContext): Pick<PrecheckResult, 'reason' | 'details' | 'fix'> {
  const limit = `${Math.round(ctx.itemTimeoutMs / 1000)} s`;
  const waiting = ctx.unanswered();
  const who = waiting.map((u) => `the ${SIDE_LABEL[u.role]} ${u.address}`);
  return {
    reason: waiting.length
      ? `The check did not finish within ${limit}: ${who.join(' and ')} did not answer (${commandList(waiting.flatMap((u) => u.commands))}).`
      : `The check did not finish within ${limit}: a server it was waiting for did not answer.`,
    details: [
      `Time limit of one check: ${limit}; each command waits at most ${Math.round(ctx.timeoutMs / 1000)} s.`,
      ...waiting.map((u) => `${u.address} (${SIDE_LABEL[u.role]}): no answer to ${commandList(u.commands)}.`),
    ],
    fix: `Check that ${who.length ? who.join(' and ') : 'both databases'} ${who.length > 1 ? 'are' : 'is'} running and not blocked `
      + '(a long-running command, a paused or overloaded process, a network problem), then run the precheck again.',
  };
}

/** `SELECT ×3, DBSIZE`: each command name once, with how many are waiting. */
function commandList(names: string[]): string {
  const counts = new Map<string, number>();
  for (const n of names) counts.set(n, (counts.get(n) ?? 0) + 1);
  return [...counts].map(([n, k]) => (k > 1 ? `${n} ×${k}` : n)).join(', ');
}

export async function runPrechecks(input: PrecheckInput, opts: RunPrechecksOptions = {}): Promise<PrecheckResult[]> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const ctx = new PrecheckContext(input, timeoutMs, opts.itemTimeoutMs ?? timeoutMs * 4);
  const results: PrecheckResult[] = [];
  try {
    // Open both sides at once; items then share the connections.
    await Promise.allSettled([ctx.side('source'), ctx.side('target')]);
    for (const item of precheckItemsFor(input.options)) {
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
