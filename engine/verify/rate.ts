/** A token bucket in keys per second; waits are abortable. */
export class RateLimiter {
  private next = 0;

  /** `perSecond` 0, undefined or null: no limit. */
  constructor(private readonly perSecond?: number | null, private readonly burstMs = 100) {}

  get limited(): boolean {
    return !!this.perSecond && this.perSecond > 0;
  }

  async take(n: number, signal?: AbortSignal): Promise<void> {
    if (!this.perSecond || this.perSecond <= 0 || n <= 0) return;
    const now = Date.now();
    this.next = Math.max(this.next, now - this.burstMs) + (n * 1000) / this.perSecond;
    const wait = this.next - now;
    if (wait > 1) await sleep(wait, signal);
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason);
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
