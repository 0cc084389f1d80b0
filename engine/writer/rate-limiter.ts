import { commandByteLength, type RespArg } from '../resp';

/** The tighter of two rates, where 0 (or less) means unlimited. */
export function tighterRate(a: number, b: number): number {
  if (!(a > 0)) return b > 0 ? b : 0;
  return b > 0 ? Math.min(a, b) : a;
}

/**
 * Token bucket for the task's link spec (max RPS) and optional MB/s throttle.
 * `take` returns how long to wait before sending; callers await it, which is
 * what turns a rate limit into backpressure all the way to the source reader.
 */
export class RateLimiter {
  private tokens: number;
  private last = performance.now();

  /** `perSecond` ≤ 0 or Infinity means unlimited. Bursts up to one second's worth. */
  constructor(private perSecond: number) {
    this.tokens = perSecond;
  }

  get unlimited(): boolean {
    return !(this.perSecond > 0 && Number.isFinite(this.perSecond));
  }

  setRate(perSecond: number): void {
    const wasUnlimited = this.unlimited;
    this.perSecond = perSecond;
    // From unlimited to a limit: start with a full second's worth, as a new bucket does.
    this.tokens = wasUnlimited ? perSecond : Math.min(this.tokens, perSecond);
  }

  /** Milliseconds to wait before `n` units may go; the units are taken now. */
  take(n = 1): number {
    if (this.unlimited) return 0;
    const now = performance.now();
    this.tokens = Math.min(this.perSecond, this.tokens + ((now - this.last) / 1000) * this.perSecond);
    this.last = now;
    this.tokens -= n;
    return this.tokens >= 0 ? 0 : (-this.tokens / this.perSecond) * 1000;
  }
}

/**
 * A task's write throttle: commands (or keys/elements: `records`) per second and bytes per
 * second, either of which may be unlimited (0). Bytes are only measured when limited.
 */
export class WriteThrottle {
  private readonly records: RateLimiter;
  private readonly bytes: RateLimiter;

  constructor(rps = 0, bytesPerSecond = 0) {
    this.records = new RateLimiter(rps);
    this.bytes = new RateLimiter(bytesPerSecond);
  }

  get unlimited(): boolean {
    return this.records.unlimited && this.bytes.unlimited;
  }

  set(rps: number, bytesPerSecond = 0): void {
    this.records.setRate(rps);
    this.bytes.setRate(bytesPerSecond);
  }

  /** Milliseconds to wait before this command may go; its share is taken now. */
  take(argv: readonly RespArg[], records: number): number {
    const wait = this.records.take(records);
    return this.bytes.unlimited ? wait : Math.max(wait, this.bytes.take(commandByteLength(argv)));
  }
}
