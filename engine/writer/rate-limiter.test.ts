import { describe, expect, it } from 'vitest';
import { commandByteLength } from '../resp';
import { RateLimiter, WriteThrottle } from './rate-limiter';

describe('WriteThrottle', () => {
  it('holds commands to the tighter of its command and byte rates', () => {
    const value = Buffer.alloc(500, 1);
    const size = commandByteLength(['SET', 'k', value]);
    const bytesOnly = new WriteThrottle(0, 1000);
    expect(bytesOnly.unlimited).toBe(false);
    expect(bytesOnly.take(['SET', 'k', value], 1)).toBe(0); // a second's worth of burst
    const wait = bytesOnly.take(['SET', 'k', value], 1);
    expect(wait).toBeGreaterThan(((2 * size - 1000) / 1000) * 1000 - 20);
    expect(wait).toBeLessThan(((2 * size - 1000) / 1000) * 1000 + 20);

    const both = new WriteThrottle(10, 1_000_000);
    for (let i = 0; i < 10; i++) expect(both.take(['SET', 'k', value], 1)).toBe(0);
    expect(both.take(['SET', 'k', value], 1)).toBeGreaterThan(50); // the command rate binds
  });

  it('is unlimited at 0 and can be changed while in use', () => {
    const t = new WriteThrottle();
    expect(t.unlimited).toBe(true);
    expect(t.take(['SET', 'k', 'v'], 1000)).toBe(0);
    t.set(5);
    for (let i = 0; i < 5; i++) expect(t.take(['SET', 'k', 'v'], 1)).toBe(0); // a fresh bucket, not an empty one
    expect(t.take(['SET', 'k', 'v'], 1)).toBeGreaterThan(100);
    t.set(0);
    expect(t.take(['SET', 'k', 'v'], 1)).toBe(0);
  });

  it('keeps a lowered rate from bursting beyond it', () => {
    const r = new RateLimiter(1000);
    r.setRate(10);
    for (let i = 0; i < 10; i++) expect(r.take()).toBe(0);
    expect(r.take()).toBeGreaterThan(50);
  });
});
