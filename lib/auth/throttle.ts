/**
 * Slows down repeated failed sign-ins (and wrong current passwords on Change
 * Password), counted per username and per address, each with limits of its own:
 * either alone can be abused (addresses can be many, usernames can be many), and
 * an address may be shared by a whole office behind one NAT, so it gets more.
 *
 * - Every failed attempt answers only after `failureDelayMs` (1 s).
 * - From the `freeFailures`-th failure of a key on, the key is locked for
 *   `lockMs`, doubling with each further failure up to `maxLockMs` (15 min).
 *   A locked key's attempts are refused without checking the password.
 * - One attempt per key is checked at a time; a parallel one is refused.
 * - A key is forgotten `forgetAfterMs` after its last failure, and on a
 *   successful sign-in. Each table keeps about `maxEntries` keys, forgetting the
 *   oldest unlocked ones first; a locked key is never forgotten before its lock
 *   ends (so a flood of other keys cannot free it). Counts live in memory: a
 *   restart forgets them.
 */
export interface ThrottleLimits {
  freeFailures: number;
  lockMs: number;
  maxLockMs: number;
  forgetAfterMs: number;
  maxEntries: number;
}

export interface ThrottleOptions {
  failureDelayMs: number;
  /** Per username (sign-in) and per account (Change Password). */
  user: ThrottleLimits;
  /** Per client address, as lib/auth/address.ts trusts it. */
  address: ThrottleLimits;
}

const LOCKS = { lockMs: 5_000, maxLockMs: 15 * 60_000, forgetAfterMs: 30 * 60_000, maxEntries: 10_000 };

export const DEFAULT_THROTTLE: ThrottleOptions = {
  failureDelayMs: 1_000,
  user: { freeFailures: 3, ...LOCKS },
  address: { freeFailures: 10, ...LOCKS },
};

interface Entry {
  failures: number;
  lastFailure: number;
}

/** A lock that a failure has just started (or extended). */
export interface Lockout {
  kind: 'user' | 'address';
  key: string;
  failures: number;
  lockMs: number;
}

/** Failure counts of one kind of key. */
export class FailureTable {
  private readonly entries = new Map<string, Entry>();

  constructor(readonly limits: ThrottleLimits) {}

  /** How long a key with `failures` failures stays locked after its last one. */
  lockFor(failures: number): number {
    const { freeFailures, lockMs, maxLockMs } = this.limits;
    if (failures < freeFailures) return 0;
    return Math.min(lockMs * 2 ** (failures - freeFailures), maxLockMs);
  }

  private live(key: string, now: number): Entry | undefined {
    const e = this.entries.get(key);
    if (e && now - e.lastFailure > this.limits.forgetAfterMs) {
      this.entries.delete(key);
      return undefined;
    }
    return e;
  }

  private lockedAt(e: Entry, now: number): boolean {
    return e.lastFailure + this.lockFor(e.failures) > now;
  }

  retryAfter(key: string, now: number): number {
    const e = this.live(key, now);
    return e ? Math.max(0, e.lastFailure + this.lockFor(e.failures) - now) : 0;
  }

  /** Counts a failure; returns the lock it starts (0: none). */
  fail(key: string, now: number): number {
    const e = this.live(key, now);
    this.entries.delete(key); // re-insert: the map stays ordered by last failure
    const failures = (e?.failures ?? 0) + 1;
    this.entries.set(key, { failures, lastFailure: now });
    this.evict(now);
    return this.lockFor(failures);
  }

  /** Over the limit: forget the oldest keys that are not locked; locked ones stay, even if the table grows. */
  private evict(now: number): void {
    if (this.entries.size <= this.limits.maxEntries) return;
    for (const [key, e] of this.entries) {
      if (this.entries.size <= this.limits.maxEntries) break;
      if (!this.lockedAt(e, now)) this.entries.delete(key);
    }
  }

  clear(key: string): void {
    this.entries.delete(key);
  }

  failures(key: string, now = Date.now()): number {
    return this.live(key, now)?.failures ?? 0;
  }

  get size(): number {
    return this.entries.size;
  }
}

/** The keys of one attempt: the username (or account) and the address; either may be absent. */
export interface ThrottleKeys {
  user?: string;
  address?: string;
}

export class SignInThrottle {
  readonly options: ThrottleOptions;
  readonly users: FailureTable;
  readonly addresses: FailureTable;
  private readonly inflight = new Set<string>();

  constructor(options: { failureDelayMs?: number; user?: Partial<ThrottleLimits>; address?: Partial<ThrottleLimits> } = {}) {
    this.options = {
      failureDelayMs: options.failureDelayMs ?? DEFAULT_THROTTLE.failureDelayMs,
      user: { ...DEFAULT_THROTTLE.user, ...options.user },
      address: { ...DEFAULT_THROTTLE.address, ...options.address },
    };
    this.users = new FailureTable(this.options.user);
    this.addresses = new FailureTable(this.options.address);
  }

  /** A sign-in's keys: the lower-cased username and the address. */
  static keys(address: string, username: string): ThrottleKeys {
    return { address, user: `user:${username.trim().toLowerCase()}` };
  }

  /** Change Password's key: the account (not the address: the caller is signed in). */
  static passwordChangeKeys(userId: string): ThrottleKeys {
    return { user: `password-change:${userId}` };
  }

  private tagged(keys: ThrottleKeys): string[] {
    return [...(keys.user ? [`u|${keys.user}`] : []), ...(keys.address ? [`a|${keys.address}`] : [])];
  }

  /** Milliseconds until these keys may try again (0: now). */
  retryAfter(keys: ThrottleKeys, now = Date.now()): number {
    return Math.max(keys.user ? this.users.retryAfter(keys.user, now) : 0, keys.address ? this.addresses.retryAfter(keys.address, now) : 0);
  }

  /** Claims the keys for one attempt; false when another attempt on one of them is still being checked. */
  begin(keys: ThrottleKeys): boolean {
    const tagged = this.tagged(keys);
    if (tagged.some((k) => this.inflight.has(k))) return false;
    for (const k of tagged) this.inflight.add(k);
    return true;
  }

  end(keys: ThrottleKeys): void {
    for (const k of this.tagged(keys)) this.inflight.delete(k);
  }

  /** Counts a failure for each key; returns the locks it starts. */
  fail(keys: ThrottleKeys, now = Date.now()): Lockout[] {
    const out: Lockout[] = [];
    if (keys.user) {
      const lockMs = this.users.fail(keys.user, now);
      if (lockMs > 0) out.push({ kind: 'user', key: keys.user, failures: this.users.failures(keys.user, now), lockMs });
    }
    if (keys.address) {
      const lockMs = this.addresses.fail(keys.address, now);
      if (lockMs > 0) out.push({ kind: 'address', key: keys.address, failures: this.addresses.failures(keys.address, now), lockMs });
    }
    return out;
  }

  succeed(keys: ThrottleKeys): void {
    if (keys.user) this.users.clear(keys.user);
    if (keys.address) this.addresses.clear(keys.address);
  }
}

/** "5 seconds", "15 minutes": how long to wait, in words. */
export function waitWords(ms: number): string {
  const s = Math.ceil(ms / 1000);
  return s >= 120 ? `${Math.ceil(s / 60)} minutes` : `${s} second${s === 1 ? '' : 's'}`;
}

const globalForThrottle = globalThis as unknown as { dtsSignInThrottle?: SignInThrottle };

/** The process-wide throttle of sign-in and Change Password. */
export function signInThrottle(): SignInThrottle {
  globalForThrottle.dtsSignInThrottle ??= new SignInThrottle();
  return globalForThrottle.dtsSignInThrottle;
}
