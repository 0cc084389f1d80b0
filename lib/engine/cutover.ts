/**
 * Cut over: the moment traffic moves to the destination, with proof that it is exact.
 *
 * 1. Refused unless the task is Running with its engine here and the delay is known and
 *    at most the threshold.
 * 2. Optionally, writes on every source master are paused (`CLIENT PAUSE <lease> WRITE`,
 *    renewed; a hard limit; lifted at the end whatever happens — and by its own timeout
 *    if the console dies: engine/cutover/write-pause.ts).
 * 3. Each master's replication id and offset are read; the cut over waits until every
 *    shard's checkpoint (what the destination acknowledged) has reached that offset.
 * 4. A final verification, key by key: every key the stream wrote since the engine started
 *    (up to 50,000: engine/worker/changed-keys.ts) plus a sample of the selected keys. A relayed
 *    task's engine does not read the stream's keys (the destination applies the source's own
 *    stream as a replica, exact by its offset): its verification is the sample, and says so.
 * 5. The result is recorded on the task and in its log — "the destination held every
 *    write up to offset X of replication id R at T — verified N keys" — and the task ends.
 *
 * Any failure lifts the pause, leaves the task running and says what to do.
 */
import { z } from 'zod';
import { checkSample, masterPosition, sourceShards, type MasterPosition } from '@/engine/cutover/source-state';
import { WritePause } from '@/engine/cutover/write-pause';
import { describeError } from '@/engine/errors';
import type { SyncProgress } from '@/engine/sync/types';
import { db } from '@/lib/db/client';
import type { RefusalCode } from '@/lib/http/refusal';
import type { EngineManager } from './manager';
import { syncOptionsFor } from './task-options';
import * as records from './task-records';
import { verificationSettingsOf } from './verification';

export const cutoverInputSchema = z.object({
  /** Refuse while the delay is above this. */
  maxLagSeconds: z.number().min(0).max(3600).default(5),
  /** Pause writes on the source while the destination catches up and is checked. */
  pauseWrites: z.boolean().default(false),
  /** The longest writes stay paused. */
  pauseLimitMs: z.number().int().min(1000, 'At least 1000 ms').max(60_000, 'At most 60000 ms (a minute)').default(10_000),
  /** The longest to wait for the checkpoint to reach the source's offset (without a pause). */
  waitMs: z.number().int().min(1000).max(300_000).default(30_000),
  /** Keys compared per selected DB. */
  sampleKeys: z.number().int().min(0).max(100_000).default(1000),
}).meta({ id: 'CutoverInput' });
export type CutoverInput = z.infer<typeof cutoverInputSchema>;

export const cutoverReportSchema = z.object({
  at: z.string(),
  shards: z.array(z.object({ shard: z.string(), address: z.string(), replid: z.string(), offset: z.number() })),
  keysVerified: z.number(),
  /** Of them, keys the stream had written since the engine started. */
  changedKeysVerified: z.number(),
  keysInScope: z.number(),
  writesPaused: z.boolean(),
  pausedMs: z.number().nullable(),
  statement: z.string(),
}).meta({ id: 'CutoverReport' });
export type CutoverReport = z.infer<typeof cutoverReportSchema>;

export class CutoverError extends Error {
  constructor(readonly code: RefusalCode, message: string) {
    super(message);
  }
}

const POLL_MS = 100;

function checkpointOf(progress: SyncProgress | undefined, address: string, single: boolean): { replid: string | null; offset: number | null } {
  if (!progress) return { replid: null, offset: null };
  const shard = progress.shards?.find((s) => s.name === address);
  if (shard) return { replid: shard.replid, offset: shard.checkpoint?.offset ?? null };
  if (single) return { replid: progress.replid, offset: progress.checkpoint?.offset ?? null };
  return { replid: null, offset: null };
}

function formatOffsets(positions: MasterPosition[]): string {
  return positions.map((p) => `offset ${p.offset} of replication id ${p.replid}${positions.length > 1 ? ` (${p.shard}, ${p.address})` : ''}`).join(', ');
}

export async function cutOver(manager: EngineManager, taskId: string, input: CutoverInput): Promise<CutoverReport> {
  const task = await records.findTask(taskId);
  if (!task) throw new CutoverError('not_found', `There is no task ${taskId}.`);
  const progress = manager.liveProgress(taskId);
  if (task.status !== 'Running' || !progress) {
    throw new CutoverError('invalid_state', `A task that is ${task.status} cannot be cut over: it must be Running (incremental synchronization) in this console.`);
  }
  if (progress.delayMs === null) {
    throw new CutoverError('lag_too_high', 'The delay is not known yet (no heartbeat has come through the stream): wait a few seconds and cut over again.');
  }
  if (progress.delayMs > input.maxLagSeconds * 1000) {
    throw new CutoverError('lag_too_high', `The delay is ${(progress.delayMs / 1000).toFixed(1)} s, above the threshold of ${input.maxLagSeconds} s: wait until the destination has caught up, then cut over again.`);
  }
  const options = syncOptionsFor(task);
  if (!options.source) throw new CutoverError('invalid_state', 'This task has no source server to cut over from.');
  const shards = await sourceShards(options.source, Boolean(options.sourceCluster));
  const masters = shards.map((s) => s.master);
  await records.log(taskId, 'info', `cut over started${input.pauseWrites ? `: writes paused on ${masters.length} source master(s), for ${input.pauseLimitMs} ms at most` : ''}`);

  let pause: WritePause | undefined;
  try {
    if (input.pauseWrites) pause = await WritePause.start(masters.map((m) => ({ ...m, mode: 'standalone' as const })), { hardLimitMs: input.pauseLimitMs });
    const positions = await Promise.all(shards.map((s) => masterPosition(s)));
    // Wait until the destination acknowledged every master's offset.
    const deadline = Date.now() + (pause ? pause.remainingMs : input.waitMs);
    for (;;) {
      const live = manager.liveProgress(taskId);
      if (!live) throw new CutoverError('invalid_state', 'The task stopped during the cut over; see its log.');
      const behind = positions.filter((p) => {
        const cp = checkpointOf(live, p.shard, shards.length === 1);
        return cp.offset === null || cp.offset < p.offset || (cp.replid !== null && cp.replid !== p.replid);
      });
      if (behind.length === 0) break;
      if (pause && !pause.active) throw new CutoverError('engine_error', `The write pause ended early: ${pause.ended ?? 'it was lifted'}. Cut over again.`);
      if (Date.now() >= deadline) {
        throw new CutoverError('lag_too_high', `The destination did not reach ${formatOffsets(behind)} in time`
          + `${pause ? ` (the ${input.pauseLimitMs} ms write pause)` : ''}: let it catch up, ${pause ? 'or allow a longer pause, ' : 'or pause writes, '}then cut over again.`);
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    const at = new Date();
    const verification = verificationSettingsOf(task);
    const relayed = options.writeMethod === 'relay';
    const changed = relayed ? undefined : await manager.changedKeys(taskId);
    const check = await checkSample({
      source: options.source, target: options.target, filter: options.filter ?? {}, sample: input.sampleKeys, changed: changed?.keys,
      dbs: [...(options.filter?.dbs ?? [0])],
      compare: { mode: verification.full.mode, bigKeyThreshold: verification.full.bigKeyThreshold, ttlExtendSeconds: options.ttlExtendSeconds ?? 0 },
    });
    if (check.conflicts.length > 0) {
      const first = check.conflicts[0];
      throw new CutoverError('invalid_state', `The final verification found ${check.conflicts.length} key(s) that differ (first: DB ${first.db} "${first.key.toString('latin1')}", ${first.kind}): `
        + 'the task keeps running; run Verify Now to see them all, then cut over again.');
    }
    const pausedMs = pause ? pause.elapsedMs : null;
    const streamed = changed && !changed.overflow
      ? `every key the stream wrote (${check.changedChecked})`
      : `${check.changedChecked} of the keys the stream wrote (more were written than the engine keeps)`;
    const verified = relayed
      ? ` a sample of ${check.keysChecked} of the ${check.keysInScope} the selected DBs hold (a relayed destination applies the source's own stream as a replica, up to the offset it acknowledged)`
      : ` ${streamed} and ${check.keysChecked - check.changedChecked} more of the ${check.keysInScope} the selected DBs hold`;
    const statement = `The destination held every write up to ${formatOffsets(positions)} at ${at.toISOString()} — verified ${check.keysChecked} key(s):${verified}; no differences.`;
    const report: CutoverReport = {
      at: at.toISOString(), shards: positions, keysVerified: check.keysChecked, changedKeysVerified: check.changedChecked, keysInScope: check.keysInScope,
      writesPaused: Boolean(pause), pausedMs, statement,
    };
    await pause?.lift();
    await db().task.update({ where: { id: taskId }, data: { cutover: JSON.stringify(report) } });
    await records.log(taskId, 'info', `cut over: ${statement}${pausedMs !== null ? ` Writes were paused for ${pausedMs} ms.` : ''}`);
    await manager.perform(taskId, 'end');
    return report;
  } catch (err) {
    await pause?.lift();
    const message = err instanceof CutoverError ? err.message : `The cut over failed: ${describeError(err)}. The task keeps running; cut over again.`;
    await records.log(taskId, 'warn', `cut over stopped${pause ? ' (writes on the source resumed)' : ''}: ${message}`);
    if (err instanceof CutoverError) throw err;
    throw new CutoverError('engine_error', message);
  } finally {
    await pause?.lift();
  }
}

/** The stored report of a task's cut over, or null. */
export function parseCutoverReport(json: string | null): CutoverReport | null {
  if (!json) return null;
  try {
    const r = cutoverReportSchema.safeParse(JSON.parse(json));
    return r.success ? r.data : null;
  } catch {
    return null;
  }
}
