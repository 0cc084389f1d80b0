import { describe, expect, it } from 'vitest';
import { SignInThrottle } from './throttle';

describe('sign-in throttle', () => {
  const keys = SignInThrottle.keys('10.0.0.1', 'Admin');

  it('keys by address and by lower-cased username', () => {
    expect(keys).toEqual({ address: '10.0.0.1', user: 'user:admin' });
  });

  it('lets a few failures through, then locks for a doubling time up to the cap', () => {
    const t = new SignInThrottle({ user: { freeFailures: 3, lockMs: 5_000, maxLockMs: 60_000 }, address: { freeFailures: 100 } });
    const now = 1_000_000;
    t.fail(keys, now);
    t.fail(keys, now);
    expect(t.retryAfter(keys, now)).toBe(0);
    expect(t.fail(keys, now)).toEqual([{ kind: 'user', key: 'user:admin', failures: 3, lockMs: 5_000 }]);
    expect(t.retryAfter(keys, now)).toBe(5_000);
    expect(t.retryAfter(keys, now + 5_000)).toBe(0);
    t.fail(keys, now + 5_000);
    expect(t.retryAfter(keys, now + 5_000)).toBe(10_000);
    for (let i = 0; i < 10; i++) t.fail(keys, now + 6_000);
    expect(t.retryAfter(keys, now + 6_000)).toBe(60_000);
    expect(t.users.lockFor(2)).toBe(0);
    expect(t.users.lockFor(4)).toBe(10_000);
  });

  it('counts usernames and addresses apart, each with its own limit', () => {
    const t = new SignInThrottle({ user: { freeFailures: 2, lockMs: 1_000 }, address: { freeFailures: 4, lockMs: 1_000 } });
    // Many usernames from one address: the address locks at its own (higher) limit.
    for (let i = 0; i < 3; i++) t.fail(SignInThrottle.keys('10.0.0.1', `user${i}`), 0);
    expect(t.retryAfter(SignInThrottle.keys('10.0.0.1', 'user9'), 0)).toBe(0);
    expect(t.fail(SignInThrottle.keys('10.0.0.1', 'user3'), 0)).toEqual([{ kind: 'address', key: '10.0.0.1', failures: 4, lockMs: 1_000 }]);
    expect(t.retryAfter(SignInThrottle.keys('10.0.0.1', 'user9'), 0)).toBe(1_000);
    // One username from many addresses: the username locks at its limit, everywhere.
    t.fail(SignInThrottle.keys('10.9.0.1', 'admin'), 0);
    t.fail(SignInThrottle.keys('10.9.0.2', 'admin'), 0);
    expect(t.retryAfter(SignInThrottle.keys('10.9.9.9', 'admin'), 0)).toBe(1_000);
    expect(t.retryAfter(SignInThrottle.keys('10.9.9.9', 'other'), 0)).toBe(0);
  });

  it('forgets after a quiet period and on success', () => {
    const t = new SignInThrottle({ user: { freeFailures: 1, lockMs: 1_000, forgetAfterMs: 10_000 } });
    t.fail(keys, 0);
    expect(t.users.failures('user:admin', 5_000)).toBe(1);
    expect(t.users.failures('user:admin', 10_001)).toBe(0);
    t.fail(keys, 20_000);
    t.succeed(keys);
    expect(t.retryAfter(keys, 20_000)).toBe(0);
  });

  it('checks one attempt per key at a time', () => {
    const t = new SignInThrottle();
    expect(t.begin(keys)).toBe(true);
    expect(t.begin(SignInThrottle.keys('10.0.0.1', 'x'))).toBe(false);
    expect(t.begin(SignInThrottle.keys('10.0.0.2', 'admin'))).toBe(false);
    t.end(keys);
    expect(t.begin(SignInThrottle.keys('10.0.0.1', 'x'))).toBe(true);
  });

  it('keeps about maxEntries keys, forgetting unlocked ones first', () => {
    const t = new SignInThrottle({ address: { maxEntries: 4, freeFailures: 5 } });
    for (let i = 0; i < 10; i++) t.fail({ address: `10.1.0.${i}` }, i);
    expect(t.addresses.failures('10.1.0.0', 10)).toBe(0);
    expect(t.addresses.failures('10.1.0.9', 10)).toBe(1);
    expect(t.addresses.size).toBe(4);
  });

  it('never forgets a locked key to make room: a flood of other keys cannot unlock it', () => {
    const t = new SignInThrottle({ user: { freeFailures: 3, lockMs: 60_000, maxEntries: 100 }, address: { maxEntries: 100 } });
    const victim = SignInThrottle.keys('10.0.0.1', 'admin');
    for (let i = 0; i < 3; i++) t.fail(victim, 1_000);
    expect(t.retryAfter(victim, 1_000)).toBe(60_000);
    // ~5,000 failures from other (forged) addresses and usernames, as in issue 16.
    for (let i = 0; i < 5_000; i++) t.fail(SignInThrottle.keys(`198.51.${i >> 8}.${i & 255}`, `guess${i}`), 2_000);
    expect(t.retryAfter(victim, 2_000)).toBe(59_000);
    expect(t.users.size).toBeLessThanOrEqual(101);
    // Once its lock is over it may be forgotten like any other.
    for (let i = 0; i < 200; i++) t.fail(SignInThrottle.keys('10.7.7.7', `later${i}`), 70_000);
    expect(t.users.failures('user:admin', 70_000)).toBe(0);
  });

  it('Change Password has a key of its own per account', () => {
    const t = new SignInThrottle({ user: { freeFailures: 2, lockMs: 1_000 } });
    const change = SignInThrottle.passwordChangeKeys('u1');
    t.fail(change, 0);
    expect(t.fail(change, 0)).toEqual([{ kind: 'user', key: 'password-change:u1', failures: 2, lockMs: 1_000 }]);
    expect(t.retryAfter(change, 0)).toBe(1_000);
    expect(t.retryAfter(SignInThrottle.keys('10.0.0.1', 'u1'), 0)).toBe(0);
  });
});
