import { LINK_SPEC_IDS, type LinkSpecId } from './link-specs';

/** Purchase options of step 6. Self-hosted: these are labels the task keeps, not invoices. */
export const BILLING_METHODS = [{ id: 'PayAsYouGo', label: 'Pay-as-you-go' }] as const;
export type BillingMethodId = (typeof BILLING_METHODS)[number]['id'];

export const RESOURCE_GROUPS = [{ id: 'default', label: 'default resource group' }] as const;
export type ResourceGroupId = (typeof RESOURCE_GROUPS)[number]['id'];

/**
 * Incremental synchronization is billed by duration (PRODUCT.md; the full migration is free):
 * from when it first began until the task ended or was released (a pause still counts, the
 * link is held), or until now while it lasts.
 */
export function billableMs(t: { incrementalStartedAt: Date | null; endedAt: Date | null; releasedAt: Date | null }, now = new Date()): number | null {
  if (!t.incrementalStartedAt) return null;
  const until = t.endedAt ?? t.releasedAt ?? now;
  return Math.max(0, until.getTime() - t.incrementalStartedAt.getTime());
}

export interface ClassEstimate {
  instanceClass: LinkSpecId;
  amount: number;
}

/**
 * Hourly prices per instance class for the estimates, set by the operator (a self-hosted
 * service has no price list of its own): DTS_PRICE_PER_HOUR='{"currency":"USD","large":0.5,…}'.
 * Unset or unreadable: no estimates.
 */
export function hourlyPrices(text = process.env.DTS_PRICE_PER_HOUR): { currency: string; prices: Partial<Record<LinkSpecId, number>> } | null {
  if (!text) return null;
  try {
    const parsed = JSON.parse(text) as Record<string, unknown>;
    const prices: Partial<Record<LinkSpecId, number>> = {};
    for (const id of LINK_SPEC_IDS) {
      const v = parsed[id];
      if (typeof v === 'number' && Number.isFinite(v) && v >= 0) prices[id] = v;
    }
    return { currency: typeof parsed.currency === 'string' ? parsed.currency : '', prices };
  } catch {
    return null;
  }
}

/** What the billable time costs in each class that has a price. */
export function estimates(ms: number, prices: Partial<Record<LinkSpecId, number>>): ClassEstimate[] {
  const hours = ms / 3_600_000;
  return LINK_SPEC_IDS.filter((id) => prices[id] !== undefined).map((id) => ({ instanceClass: id, amount: Math.round(hours * prices[id]! * 100) / 100 }));
}
