/**
 * How long a writer keeps trying, and how long it waits between tries: one
 * policy for both writers. A broken or unreachable destination is retried for
 * the task's "Retry Time for Failed Connections"; a destination that answers
 * "not now" (LOADING, BUSY, TRYAGAIN, CLUSTERDOWN, …) for its "Retry Time for
 * Other Issues". The time counts from the first failure of a run of them (a
 * destination that answers BUSY again after each reconnect does not reset it)
 * until a write succeeds. Waits double from 200 ms up to 5 s.
 */
import type { WriterOptions } from './types';

export type RetryCause = 'connection' | 'busy';

const DEFAULT_RETRY_MS = 10 * 60_000;
const FIRST_WAIT_MS = 200;
const LONGEST_WAIT_MS = 5_000;

export class RetryPolicy {
  /** When the current run of failures of each cause began (0: none). */
  private readonly since: Record<RetryCause, number> = { connection: 0, busy: 0 };

  constructor(private readonly opts: Pick<WriterOptions, 'connectionRetryMs' | 'otherRetryMs'>) {}

  /** How long a problem of this cause may last before the writer gives up. */
  budgetMs(cause: RetryCause): number {
    return (cause === 'busy' ? this.opts.otherRetryMs : this.opts.connectionRetryMs) ?? DEFAULT_RETRY_MS;
  }

  /** One more failure of this cause: the tries it may still make, and when they must end. */
  attempt(cause: RetryCause): RetryAttempt {
    this.since[cause] ||= Date.now();
    return new RetryAttempt(this.since[cause] + this.budgetMs(cause));
  }

  /** Whether a run of failures is open (so a success has something to end). */
  get troubled(): boolean {
    return this.since.connection !== 0 || this.since.busy !== 0;
  }

  /** A write went through: the next failure starts a new run. */
  succeeded(): void {
    this.since.connection = 0;
    this.since.busy = 0;
  }
}

export class RetryAttempt {
  private wait = FIRST_WAIT_MS;
  constructor(readonly deadline: number) {}

  get expired(): boolean {
    return Date.now() > this.deadline;
  }

  /** Sleeps before the next try (doubling each time). */
  async pause(): Promise<void> {
    const ms = this.wait;
    this.wait = Math.min(this.wait * 2, LONGEST_WAIT_MS);
    await sleep(ms);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
