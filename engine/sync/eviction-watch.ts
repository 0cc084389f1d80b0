/**
 * Keys the destination drops by itself while the task writes. A destination with
 * a maxmemory-policy other than noeviction answers every write OK and then evicts
 * keys to make room: the task would report "completed" over a destination missing
 * most of them. So the destination's INFO stats `evicted_keys` is read on every
 * master once a second, from a baseline taken at start, and any increase is a
 * warning in the task log at once (and `evictedKeys` in the progress).
 *
 * `expired_keys` is not counted: the engine writes each key with the source's own
 * absolute expire time (plus the task's extension), so the destination's expiries
 * are the source's, not a loss (docs/monitoring.md).
 */
import { discoverCluster } from '../cluster/topology';
import { endpointAddress, type RedisEndpoint } from '../endpoint';
import { describeError } from '../errors';
import { ControlClient } from '../net/socket';
import { parseInfo } from '../precheck/info';
import { RespErrorReply } from '../resp';

const WATCH_INTERVAL_MS = 1000;
/** After the first warning, further evictions are summed into one warning at most this often. */
const REPEAT_WARNING_MS = 10_000;
/** The last reading when the task stops waits at most this long for a slow destination. */
const FINAL_READ_MS = 3000;

interface WatchedNode {
  endpoint: RedisEndpoint;
  client?: ControlClient;
  /** evicted_keys at the last reading; undefined until the baseline is read. */
  last?: number;
  /** INFO is refused here (a managed service): not watched. */
  unwatchable?: boolean;
}

export type EvictionLog = (level: 'info' | 'warn', message: string) => void;

export class EvictionWatch {
  private timer?: NodeJS.Timeout;
  private reading?: Promise<void>;
  private total = 0;
  /** The total at the last warning, and when it was logged. */
  private warned = { total: 0, at: 0 };

  private constructor(private readonly nodes: WatchedNode[], private readonly log: EvictionLog) {}

  /**
   * Takes the baseline on every master of the destination and watches from then on.
   * Never throws: a destination that cannot be watched is said so in the log.
   */
  static async start(target: RedisEndpoint, cluster: boolean, log: EvictionLog, intervalMs = WATCH_INTERVAL_MS): Promise<EvictionWatch> {
    let endpoints = [target];
    try {
      if (cluster) endpoints = (await discoverCluster(target, 'destination')).masters.map((m) => m.endpoint);
    } catch (err) {
      log('warn', `evictions on the destination cannot be watched: ${describeError(err)}`);
    }
    const watch = new EvictionWatch(endpoints.map((endpoint) => ({ endpoint })), log);
    await watch.read();
    watch.timer = setInterval(() => {
      watch.reading ??= watch.read().finally(() => {
        watch.reading = undefined;
      });
    }, intervalMs);
    watch.timer.unref();
    return watch;
  }

  /** Keys the destination evicted since the task started (every master). */
  get evicted(): number {
    return this.total;
  }

  private async read(): Promise<void> {
    for (const node of this.nodes) {
      if (node.unwatchable) continue;
      try {
        node.client ??= await new ControlClient(node.endpoint, 'destination').open();
        const reply = await node.client.call(['INFO', 'stats']);
        if (reply instanceof RespErrorReply) {
          node.unwatchable = true;
          this.log('warn', `evictions on the destination ${endpointAddress(node.endpoint)} cannot be watched: INFO stats was refused (${reply.message})`);
          continue;
        }
        const evicted = Number(parseInfo(String(reply)).evicted_keys);
        if (!Number.isFinite(evicted)) continue;
        // A smaller counter was reset (CONFIG RESETSTAT, a restart): all it counts happened since.
        if (node.last !== undefined) this.total += evicted >= node.last ? evicted - node.last : evicted;
        node.last = evicted;
      } catch {
        // A broken destination connection is the writer's to report; read again next time.
        node.client?.close();
        node.client = undefined;
      }
    }
    if (this.total > this.warned.total && (this.warned.total === 0 || Date.now() - this.warned.at >= REPEAT_WARNING_MS)) {
      await this.warn();
    }
  }

  private async warn(): Promise<void> {
    const first = this.warned.total === 0;
    this.warned = { total: this.total, at: Date.now() };
    this.log('warn', `${first ? '' : 'still '}the destination is evicting keys: ${this.total} key(s) evicted since the task started`
      + `${await this.memoryFacts()}; it no longer holds every key written. Give it more memory (CONFIG SET maxmemory) `
      + 'or set maxmemory-policy noeviction (a full destination then fails the task instead of losing keys), empty it and run the task again');
  }

  /** " (maxmemory 3.00M, maxmemory-policy allkeys-lru on host:port)", as far as the destination says. */
  private async memoryFacts(): Promise<string> {
    const node = this.nodes.find((n) => n.client);
    try {
      const reply = node?.client ? await node.client.call(['INFO', 'memory'], 2000) : undefined;
      if (!node || reply === undefined || reply instanceof RespErrorReply) return '';
      const f = parseInfo(String(reply));
      return ` (maxmemory ${f.maxmemory_human ?? f.maxmemory}, maxmemory-policy ${f.maxmemory_policy} on ${endpointAddress(node.endpoint)}${this.nodes.length > 1 ? ' and others' : ''})`;
    } catch {
      return '';
    }
  }

  /** One last reading (bounded), a final warning for evictions not yet reported, and the connections closed. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.reading;
    await Promise.race([this.read(), new Promise((r) => setTimeout(r, FINAL_READ_MS).unref())]);
    if (this.total > 0 && this.warned.total === 0) await this.warn();
    if (this.total > 0) this.log('warn', `the destination evicted ${this.total} key(s) in all while the task ran: it does not hold everything written`);
    for (const node of this.nodes) {
      node.client?.close();
      node.client = undefined;
    }
  }
}
