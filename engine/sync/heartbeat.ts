/**
 * Writes the task's heartbeat key on a source shard every second. Seeing it come
 * back in the replication stream gives the synchronization delay; it expires by
 * itself if the engine dies, and is deleted when the task ends. Without write
 * rights on the source it stops after one warning (delay then comes from offsets).
 */
import { endpointAddress, type RedisEndpoint } from '../endpoint';
import { describeError } from '../errors';
import { HEARTBEAT_PREFIX } from '../filter';
import { ControlClient } from '../net/socket';
import { RespErrorReply } from '../resp';

export function heartbeatKeyFor(taskId: string): string {
  return `${HEARTBEAT_PREFIX}_${taskId}`;
}

export class Heartbeat {
  private client?: ControlClient;
  private timer?: NodeJS.Timeout;
  private beating?: Promise<void>;

  constructor(
    private readonly source: RedisEndpoint,
    readonly key: string,
    private readonly log: (level: 'info' | 'warn', message: string) => void,
    private readonly intervalMs = 1000,
  ) {}

  async start(): Promise<void> {
    try {
      this.client = await new ControlClient(this.source, 'source').open();
    } catch (err) {
      this.log('warn', `heartbeat disabled: ${describeError(err)}; delay is estimated from offsets`);
      return;
    }
    await this.beat();
    if (!this.client) return;
    this.timer = setInterval(() => {
      this.beating ??= this.beat().finally(() => {
        this.beating = undefined;
      });
    }, this.intervalMs);
    this.timer.unref();
  }

  private async beat(): Promise<void> {
    if (!this.client) return;
    try {
      const reply = await this.client.call(['SET', this.key, String(Date.now()), 'PX', '30000']);
      if (reply instanceof RespErrorReply) {
        this.log('warn', `heartbeat disabled: the source ${endpointAddress(this.source)} refused writing ${this.key} (${reply.message}); delay is estimated from offsets`);
        this.halt();
      }
    } catch (err) {
      this.log('warn', `heartbeat stopped: ${describeError(err)}`);
      this.halt();
    }
  }

  private halt(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.client?.close();
    this.client = undefined;
  }

  /** Stop beating and delete the key (the task ended or was released). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.beating;
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
