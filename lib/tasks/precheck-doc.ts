/** Task.precheck: the latest precheck run as stored and as the browser reads it. */
import { z } from 'zod';

export const PRECHECK_ITEM_STATES = ['pending', 'passed', 'warning', 'failed'] as const;
export type PrecheckItemState = (typeof PRECHECK_ITEM_STATES)[number];

export const precheckItemSchema = z.object({
  id: z.string(),
  name: z.string(),
  status: z.enum(PRECHECK_ITEM_STATES),
  reason: z.string().default(''),
  details: z.array(z.string()).default([]),
  fix: z.string().optional(),
  ignorable: z.boolean(),
  ignored: z.boolean().default(false),
});
export type PrecheckItemRecord = z.infer<typeof precheckItemSchema>;

export const precheckDocSchema = z.object({
  runId: z.string(),
  startedAt: z.string(),
  finishedAt: z.string().optional(),
  items: z.array(precheckItemSchema),
});
export type PrecheckDoc = z.infer<typeof precheckDocSchema>;

export function parsePrecheckDoc(json: string): PrecheckDoc | null {
  try {
    const r = precheckDocSchema.safeParse(JSON.parse(json));
    return r.success ? r.data : null;
  } catch {
    return null;
  }
}

export interface PrecheckSummary {
  total: number;
  done: number;
  passed: number;
  warnings: number;
  failed: number;
  /** Failed and not ignored. */
  blocking: number;
  /** Passed items over all items, in percent (rounded down). */
  successRate: number;
  finished: boolean;
  /** Every Failed item is fixed or ignored, and the run has finished. */
  canProceed: boolean;
}

export function summarizePrecheck(doc: PrecheckDoc | null): PrecheckSummary {
  const items = doc?.items ?? [];
  const count = (s: PrecheckItemState) => items.filter((i) => i.status === s).length;
  const blocking = items.filter((i) => i.status === 'failed' && !i.ignored).length;
  const finished = Boolean(doc?.finishedAt);
  const passed = count('passed');
  return {
    total: items.length,
    done: items.length - count('pending'),
    passed,
    warnings: count('warning'),
    failed: count('failed'),
    blocking,
    successRate: items.length ? Math.floor((passed * 100) / items.length) : 0,
    finished,
    canProceed: finished && items.length > 0 && blocking === 0,
  };
}

/** What the browser polls: the run, its summary and the task's status. */
export interface PrecheckView {
  taskId: string;
  status: string;
  doc: PrecheckDoc | null;
  summary: PrecheckSummary;
}
