import { describe, expect, it } from 'vitest';
import { SignInThrottle } from './throttle';

describe('sign-in throttle', () => {
  const keys = SignInThrottle.keys('10.0.0.1', 'Admin');

  it('keys by address and by lower-cased username', () => {
    expect(keys).toEqual(['addr:10.0.0.1', 'user:admin']);
  });

  it('lets a few failures through, then locks for a doubling time up to the cap', () => {
    const t = new SignInThrottle({ freeFailures: 3, lockMs: 5_000, maxLockMs: 60_000 });
    const now = 1_000_000;
    t.fail(keys, now);
    t.fail(keys, now);
    expect(t.retryAfter(keys, now)).toBe(0);
    t.fail(keys, now);
    expect(t.retryAfter(keys, now)).toBe(5_000);
    expect(t.retryAfter(keys, now + 5_000)).toBe(0);
    t.fail(keys, now + 5_000);
    expect(t.retryAfter(keys, now + 5_000)).toBe(10_000);
    for (let i = 0; i < 10; i++) t.fail(keys, now + 6_000);
    expect(t.retryAfter(keys, now + 6_000)).toBe(60_000);
    expect(t.lockFor(2)).toBe(0);
    expect(t.lockFor(4)).toBe(10_000);
  });

  it('a lock on either key holds: another username from the same address waits too', () => {
    const t = new SignInThrottle({ freeFailures: 1, lockMs: 1_000 });
    t.fail(keys, 0);
    expect(t.retryAfter(SignInThrottle.keys('10.0.0.1', 'someone-else'), 0)).toBe(1_000);
    expect(t.retryAfter(SignInThrottle.keys('10.9.9.9', 'admin'), 0)).toBe(1_000);
    expect(t.retryAfter(SignInThrottle.keys('10.9.9.9', 'other'), 0)).toBe(0);
  });

  it('forgets after a quiet period and on success', () => {
    const t = new SignInThrottle({ freeFailures: 1, lockMs: 1_000, forgetAfterMs: 10_000 });
    t.fail(keys, 0);
    expect(t.failures('user:admin', 5_000)).toBe(1);
    expect(t.failures('user:admin', 10_001)).toBe(0);
    t.fail(keys, 20_000);
    t.succeed(keys);
    expect(t.retryAfter(keys, 20_000)).toBe(0);
  });

  it('checks one attempt per key at a time', () => {
    const t = new SignInThrottle();
    expect(t.begin(keys)).toBe(true);
    expect(t.begin(SignInThrottle.keys('10.0.0.1', 'x'))).toBe(false);
    t.end(keys);
    expect(t.begin(SignInThrottle.keys('10.0.0.1', 'x'))).toBe(true);
  });

  it('keeps at most maxEntries keys', () => {
    const t = new SignInThrottle({ maxEntries: 4 });
    for (let i = 0; i < 10; i++) t.fail([`addr:${i}`], i);
    expect(t.failures('addr:0', 10)).toBe(0);
    expect(t.failures('addr:9', 10)).toBe(1);
  });
});
