import { describe, expect, it } from 'vitest';
import { billableMs, estimates, hourlyPrices } from './billing';

const t0 = new Date('2026-11-25T10:00:00Z');

describe('billing by duration', () => {
  it('counts from the start of incremental synchronization until End, Release or now', () => {
    const now = new Date('2026-11-25T12:30:00Z');
    expect(billableMs({ incrementalStartedAt: null, endedAt: null, releasedAt: null }, now)).toBeNull();
    expect(billableMs({ incrementalStartedAt: t0, endedAt: null, releasedAt: null }, now)).toBe(2.5 * 3_600_000);
    expect(billableMs({ incrementalStartedAt: t0, endedAt: new Date('2026-11-25T11:00:00Z'), releasedAt: null }, now)).toBe(3_600_000);
    expect(billableMs({ incrementalStartedAt: t0, endedAt: null, releasedAt: new Date('2026-11-25T10:30:00Z') }, now)).toBe(1_800_000);
  });

  it('estimates each priced class from the operator\'s hourly prices, and none without them', () => {
    const priced = hourlyPrices('{"currency":"USD","small":0.2,"large":0.8,"bogus":5,"medium":"x"}');
    expect(priced).toEqual({ currency: 'USD', prices: { small: 0.2, large: 0.8 } });
    expect(estimates(2.5 * 3_600_000, priced!.prices)).toEqual([{ instanceClass: 'small', amount: 0.5 }, { instanceClass: 'large', amount: 2 }]);
    expect(hourlyPrices(undefined)).toBeNull();
    expect(hourlyPrices('not json')).toBeNull();
  });
});
