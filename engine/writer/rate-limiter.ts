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
    this.perSecond = perSecond;
    this.tokens = Math.min(this.tokens, perSecond);
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
