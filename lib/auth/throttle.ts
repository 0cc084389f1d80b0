/**
 * Slows down repeated failed sign-ins, per address and per username (either
 * alone can be abused: addresses can be many or forged, usernames can be many).
 *
 * - Every failed attempt answers only after `failureDelayMs` (1 s).
 * - From the `freeFailures`-th failure of a key on, the key is locked for
 *   `lockMs`, doubling with each further failure up to `maxLockMs` (15 min).
 *   A locked key's attempts are refused without checking the password.
 * - One attempt per key is checked at a time; a parallel one is refused.
 * - A key is forgotten `forgetAfterMs` after its last failure, and on a
 *   successful sign-in. Counts live in memory: a restart forgets them.
 */
export interface ThrottleOptions {
  freeFailures: number;
  failureDelayMs: number;
  lockMs: number;
  maxLockMs: number;
  forgetAfterMs: number;
  maxEntries: number;
}

export const DEFAULT_THROTTLE: ThrottleOptions = {
  freeFailures: 3, failureDelayMs: 1_000, lockMs: 5_000, maxLockMs: 15 * 60_000, forgetAfterMs: 30 * 60_000, maxEntries: 10_000,
};

interface Entry {
  failures: number;
  lastFailure: number;
}

export class SignInThrottle {
  readonly options: ThrottleOptions;
  private readonly entries = new Map<string, Entry>();
  private readonly inflight = new Set<string>();

  constructor(options: Partial<ThrottleOptions> = {}) {
    this.options = { ...DEFAULT_THROTTLE, ...options };
  }

  static keys(address: string, username: string): string[] {
    return [`addr:${address}`, `user:${username.trim().toLowerCase()}`];
  }

  /** How long a key with `failures` failures stays locked after its last one. */
  lockFor(failures: number): number {
    const { freeFailures, lockMs, maxLockMs } = this.options;
    if (failures < freeFailures) return 0;
    return Math.min(lockMs * 2 ** (failures - freeFailures), maxLockMs);
  }

  private entry(key: string, now: number): Entry | undefined {
    const e = this.entries.get(key);
    if (e && now - e.lastFailure > this.options.forgetAfterMs) {
      this.entries.delete(key);
      return undefined;
    }
    return e;
  }

  /** Milliseconds until these keys may try again (0: now). */
  retryAfter(keys: string[], now = Date.now()): number {
    let wait = 0;
    for (const key of keys) {
      const e = this.entry(key, now);
      if (e) wait = Math.max(wait, e.lastFailure + this.lockFor(e.failures) - now);
    }
    return Math.max(0, wait);
  }

  /** Claims the keys for one attempt; false when another attempt on one of them is still being checked. */
  begin(keys: string[]): boolean {
    if (keys.some((k) => this.inflight.has(k))) return false;
    for (const k of keys) this.inflight.add(k);
    return true;
  }

  end(keys: string[]): void {
    for (const k of keys) this.inflight.delete(k);
  }

  fail(keys: string[], now = Date.now()): void {
    for (const key of keys) {
      const e = this.entry(key, now);
      this.entries.delete(key); // re-insert: the map stays ordered by last failure
      this.entries.set(key, { failures: (e?.failures ?? 0) + 1, lastFailure: now });
    }
    while (this.entries.size > this.options.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }

  succeed(keys: string[]): void {
    for (const key of keys) this.entries.delete(key);
  }

  failures(key: string, now = Date.now()): number {
    return this.entry(key, now)?.failures ?? 0;
  }
}

const globalForThrottle = globalThis as unknown as { dtsSignInThrottle?: SignInThrottle };

/** The process-wide throttle of the sign-in route. */
export function signInThrottle(): SignInThrottle {
  globalForThrottle.dtsSignInThrottle ??= new SignInThrottle();
  return globalForThrottle.dtsSignInThrottle;
}
