/**
 * Writes paused on every source master for a cut over: `CLIENT PAUSE <ms> WRITE`
 * (Redis 6.2+, Valkey), renewed while the cut over lasts and at most for a hard
 * limit, then lifted with `CLIENT UNPAUSE`. Each pause is short (`leaseMs`) and
 * renewed before it runs out, so the pause's own timeout is the guarantee: if the
 * process holding it dies, writes resume within `leaseMs` — nothing has to lift it.
 * Reads go on throughout; clients that write wait (they are not refused).
 */
import type { Redis } from 'ioredis';
import { closeRedis, openRedis } from '../precheck/connect';
import type { RedisEndpoint } from '../precheck/types';
import { endpointAddress } from '../endpoint';
import { DtsError } from '../errors';

export class WritePauseError extends DtsError {}

export interface WritePauseOptions {
  /** The longest one pause lasts without renewal: how long writes stay paused after the holder dies. */
  leaseMs?: number;
  /** The longest writes stay paused in all. */
  hardLimitMs: number;
}

export const DEFAULT_LEASE_MS = 2_000;

export class WritePause {
  private timer?: NodeJS.Timeout;
  private lifted = false;
  private readonly startedAt = Date.now();
  /** Why the pause ended before it was lifted (a renewal failed, the hard limit). */
  ended?: string;

  private constructor(private readonly clients: { address: string; client: Redis }[], private readonly opts: Required<WritePauseOptions>) {}

  /** Pauses writes on every master, or on none (a master that refuses gets the others unpaused again). */
  static async start(masters: RedisEndpoint[], options: WritePauseOptions): Promise<WritePause> {
    const opts = { leaseMs: options.leaseMs ?? DEFAULT_LEASE_MS, hardLimitMs: options.hardLimitMs };
    if (!(opts.hardLimitMs > 0)) throw new WritePauseError('BAD_OPTION', 'The hard limit of a write pause must be above 0 ms.');
    const clients: { address: string; client: Redis }[] = [];
    const pause = new WritePause(clients, opts);
    try {
      for (const ep of masters) {
        const client = await openRedis(ep, { name: 'dts-cutover' });
        clients.push({ address: endpointAddress(ep), client });
      }
      await pause.renew();
    } catch (err) {
      await pause.lift();
      if (err instanceof DtsError) throw err;
      throw new WritePauseError('PAUSE_FAILED', `could not pause writes on the source: ${(err as Error).message}`,
        'CLIENT PAUSE … WRITE needs Redis 6.2 or later (or Valkey) and the permission to run CLIENT; cut over without pausing writes, or grant it');
    }
    pause.timer = setInterval(() => {
      void pause.renew().catch((err: unknown) => {
        pause.ended = `renewing the pause failed (${(err as Error).message}); writes resume by themselves within ${opts.leaseMs} ms`;
        void pause.lift();
      });
    }, Math.max(100, Math.floor(opts.leaseMs / 3)));
    pause.timer.unref();
    return pause;
  }

  /** How long writes have been paused so far. */
  get elapsedMs(): number {
    return Date.now() - this.startedAt;
  }

  get active(): boolean {
    return !this.lifted;
  }

  /** Milliseconds left before the hard limit. */
  get remainingMs(): number {
    return Math.max(0, this.opts.hardLimitMs - this.elapsedMs);
  }

  private async renew(): Promise<void> {
    if (this.lifted) return;
    // Never past the hard limit: the last lease is cut to what is left of it.
    const ms = Math.min(this.opts.leaseMs, this.remainingMs);
    if (ms <= 0) {
      this.ended = `writes were paused for the hard limit of ${this.opts.hardLimitMs} ms`;
      await this.lift();
      return;
    }
    await Promise.all(this.clients.map(({ client }) => client.call('CLIENT', 'PAUSE', String(ms), 'WRITE')));
  }

  /** Writes resume on every master (also when some cannot be reached: their lease runs out by itself). */
  async lift(): Promise<void> {
    if (this.lifted) return;
    this.lifted = true;
    clearInterval(this.timer);
    await Promise.all(this.clients.map(async ({ client }) => {
      await client.call('CLIENT', 'UNPAUSE').catch(() => undefined);
      closeRedis(client);
    }));
  }
}
