/**
 * Writes the task's heartbeat key on a source shard every second. Seeing it come
 * back in the replication stream gives the synchronization delay; it expires by
 * itself if the engine dies, and is deleted when the task ends.
 *
 * A lost connection (a broken source link usually breaks this one too) is
 * reconnected with backoff, and beating resumes. Only a source that refuses the
 * write (no write rights, a read-only replica) or the login disables it, once,
 * with a warning; the delay is then unknown.
 */
import { endpointAddress, type RedisEndpoint } from '../endpoint';
import { describeError } from '../errors';
import { HEARTBEAT_PREFIX } from '../filter';
import { ControlClient, NetError } from '../net/socket';
import { RespErrorReply } from '../resp';

export function heartbeatKeyFor(taskId: string): string {
  return `${HEARTBEAT_PREFIX}_${taskId}`;
}

export const HEARTBEAT_INTERVAL_MS = 1000;
/** How much later than the beat interval a heartbeat may arrive before the delay counts as growing. */
export const HEARTBEAT_STALE_MARGIN_MS = 1000;
const RECONNECT_FIRST_MS = 500;
const RECONNECT_MAX_MS = 10_000;

/**
 * The synchronization delay from the heartbeats seen in the stream (docs/monitoring.md):
 * while they keep arriving, the newest one's age when it was seen; once none has
 * arrived for longer than `staleAfterMs`, the newest one's age now, which grows until
 * a fresh one comes: a figure measured before a break is never shown after it.
 */
export class DelayGauge {
  private last?: { sentAt: number; seenAt: number };

  constructor(private readonly staleAfterMs = HEARTBEAT_INTERVAL_MS + HEARTBEAT_STALE_MARGIN_MS) {}

  seen(sentAt: number, now = Date.now()): void {
    // A replayed older value (a transaction re-read after a resume) says nothing new.
    if (this.last && sentAt < this.last.sentAt) return;
    this.last = { sentAt, seenAt: now };
  }

  /** Null until a heartbeat was seen. */
  delayMs(now = Date.now()): number | null {
    if (!this.last) return null;
    const measured = Math.max(0, this.last.seenAt - this.last.sentAt);
    if (now - this.last.seenAt <= this.staleAfterMs) return measured;
    return Math.max(measured, now - this.last.sentAt);
  }
}

export class Heartbeat {
  private client?: ControlClient;
  private timer?: NodeJS.Timeout;
  private ticking?: Promise<void>;
  private disabled = false;
  private stopped = false;
  /** Since when the connection is lost (undefined while beating). */
  private lostAt?: number;
  private retryAt = 0;
  private backoffMs = RECONNECT_FIRST_MS;
  private readonly gauge: DelayGauge;

  constructor(
    private readonly source: RedisEndpoint,
    readonly key: string,
    private readonly log: (level: 'info' | 'warn', message: string) => void,
    private readonly intervalMs = HEARTBEAT_INTERVAL_MS,
  ) {
    this.gauge = new DelayGauge(intervalMs + HEARTBEAT_STALE_MARGIN_MS);
  }

  /** A heartbeat value came through the replication stream. */
  seen(sentAt: number): void {
    this.gauge.seen(sentAt);
  }

  /** The synchronization delay in ms; null = unknown (none seen yet, disabled, or stopped). */
  delayMs(): number | null {
    return this.disabled || this.stopped ? null : this.gauge.delayMs();
  }

  async start(): Promise<void> {
    await this.tick();
    if (this.disabled) return;
    this.timer = setInterval(() => {
      this.ticking ??= this.tick().finally(() => {
        this.ticking = undefined;
      });
    }, this.intervalMs);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    if (this.disabled || this.stopped) return;
    if (!this.client) {
      if (Date.now() < this.retryAt || !(await this.connect())) return;
    }
    await this.beat();
  }

  private async connect(): Promise<boolean> {
    let client: ControlClient;
    try {
      client = await new ControlClient(this.source, 'source').open();
    } catch (err) {
      // A wrong password or TLS setting does not heal by itself; the link reports it too.
      if (err instanceof NetError && !err.transient) this.disable(describeError(err));
      else this.lost(err);
      return false;
    }
    if (this.stopped) {
      client.close();
      return false;
    }
    this.client = client;
    if (this.lostAt !== undefined) {
      this.log('info', `heartbeat resumed after ${((Date.now() - this.lostAt) / 1000).toFixed(1)} s`);
      this.lostAt = undefined;
    }
    this.backoffMs = RECONNECT_FIRST_MS;
    return true;
  }

  private async beat(): Promise<void> {
    const client = this.client;
    if (!client) return;
    try {
      const reply = await client.call(['SET', this.key, String(Date.now()), 'PX', '30000']);
      if (reply instanceof RespErrorReply) {
        this.disable(`the source ${endpointAddress(this.source)} refused writing ${this.key} (${reply.message})`);
      }
    } catch (err) {
      if (!this.stopped) this.lost(err);
    }
  }

  private lost(err: unknown): void {
    this.client?.close();
    this.client = undefined;
    if (this.lostAt === undefined) {
      this.lostAt = Date.now();
      this.log('warn', `heartbeat lost: ${describeError(err)}; reconnecting. Until a heartbeat comes back through the stream, `
        + 'the delay shows the age of the last one seen');
    }
    this.retryAt = Date.now() + this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, RECONNECT_MAX_MS);
  }

  private disable(why: string): void {
    this.disabled = true;
    this.log('warn', `heartbeat disabled: ${why}; the synchronization delay cannot be measured (shown as unknown)`);
    this.halt();
  }

  private halt(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.client?.close();
    this.client = undefined;
  }

  /** Stop beating and delete the key (the task ended or was released). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.ticking;
    const client = this.client;
    if (!client) return;
    try {
      await client.call(['DEL', this.key], 5_000);
    } catch {
      // it expires by itself
    } finally {
      this.halt();
    }
  }
}
