import type { PrecheckContext } from '../context';
import type { PrecheckItemId, PrecheckStatus } from '../types';

/** What an item's check returns; the runner adds id, name and ignorable. */
export interface Outcome {
  status: PrecheckStatus;
  reason: string;
  details?: string[];
  fix?: string;
}

export interface PrecheckItemDef {
  id: PrecheckItemId;
  name: string;
  /** Connectivity, authentication and permission items can never be ignored. */
  ignorable: boolean;
  run(ctx: PrecheckContext): Promise<Outcome>;
}

export const passed = (reason: string, details: string[] = []): Outcome => ({ status: 'passed', reason, details });
export const warning = (reason: string, details: string[], fix?: string): Outcome => ({ status: 'warning', reason, details, fix });
export const failed = (reason: string, details: string[], fix?: string): Outcome => ({ status: 'failed', reason, details, fix });
