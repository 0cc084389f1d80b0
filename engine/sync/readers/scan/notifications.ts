/**
 * The scan reader's view of writes on the source: keyspace notifications
 * (`__keyevent@<db>__:<event>`, the key as the message) on a connection of their own,
 * subscribed before the scan starts so nothing written during it is missed.
 *
 * Pub/sub is lossy by design: the server drops a subscriber that falls behind
 * (`client-output-buffer-limit pubsub`), and nothing is replayed after a reconnect. So
 * the end of the subscription — closed, killed (CLIENT KILL TYPE pubsub), silent past
 * its PINGs — is reported once (`onLost`), and the reader re-scans what it may have missed.
 */
import type net from 'node:net';
import { endpointAddress, type RedisEndpoint } from '../../../endpoint';
import { authenticate, NetError, openSocket } from '../../../net/socket';
import { encodeCommand, RespErrorReply, RespParser, type RespValue } from '../../../resp';
import { SyncError } from '../../errors';

export interface KeyEvent {
  db: number;
  /** The event's name: set, del, expired, evicted, hset, … */
  event: string;
  key: Buffer;
}

export interface SubscriberOptions {
  source: RedisEndpoint;
  /** The source DBs to watch; undefined: every DB. */
  dbs: readonly number[] | undefined;
  onEvent: (e: KeyEvent) => void;
  /** The subscription ended without close(): events may have been missed from here. */
  onLost: (err: Error) => void;
  /** A PING this often; silence for three of them ends the subscription (default 5 s). */
  pingMs?: number;
  timeoutMs?: number;
}

const CHANNEL = /^__keyevent@(\d+)__:(.+)$/;

export class KeyeventSubscriber {
  private socket?: net.Socket;
  private closed = false;
  private lost = false;
  /** Subscribed: from here an end is a loss (before, start() rejects). */
  private started = false;
  private timer?: NodeJS.Timeout;
  private heardAt = Date.now();
  /** Waiting for the answer to a PING of caughtUp() (pongs come back in order). */
  private readonly pongWaiters: (() => void)[] = [];
  /** Events received so far. */
  events = 0;

  constructor(private readonly opts: SubscriberOptions) {}

  private get patterns(): string[] {
    return this.opts.dbs ? this.opts.dbs.map((db) => `__keyevent@${db}__:*`) : ['__keyevent@*__:*'];
  }

  /** Connects and subscribes; resolves once the server confirmed every pattern. */
  async start(): Promise<void> {
    const { source } = this.opts;
    const timeoutMs = this.opts.timeoutMs ?? 10_000;
    const socket = await openSocket(source, { timeoutMs, role: 'source' });
    try {
      await authenticate(socket, source, 'source');
    } catch (err) {
      socket.destroy();
      throw err;
    }
    this.socket = socket;
    const patterns = this.patterns;
    const parser = new RespParser();
    let confirmed = 0;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new SyncError('SUBSCRIBE_TIMEOUT', `the source ${endpointAddress(source)} did not confirm PSUBSCRIBE within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      const fail = (err: Error) => {
        clearTimeout(timer);
        reject(err);
      };
      socket.on('data', (chunk: Buffer) => {
        this.heardAt = Date.now();
        try {
          parser.execute(chunk, (value) => {
            if (confirmed < patterns.length) {
              if (value instanceof RespErrorReply) {
                socket.destroy();
                fail(new SyncError('SUBSCRIBE_REFUSED', `the source ${endpointAddress(source)} refused PSUBSCRIBE: ${value.message}`,
                  'scan mode needs PSUBSCRIBE on the __keyevent@*__ channels for the source account'));
                return;
              }
              if (isArray(value, 'psubscribe') && ++confirmed === patterns.length) {
                clearTimeout(timer);
                resolve();
              }
              return;
            }
            this.onMessage(value);
          });
        } catch (err) {
          socket.destroy();
          this.end(err instanceof Error ? err : new Error(String(err)));
        }
      });
      socket.on('error', (err) => {
        fail(NetError.fromSocket(err, source, 'source'));
        this.end(err);
      });
      socket.on('close', () => {
        fail(new SyncError('SUBSCRIBE_CLOSED', `the source ${endpointAddress(source)} closed the notification connection`));
        this.end(new SyncError('SUBSCRIPTION_LOST', `the keyspace notification connection to the source ${endpointAddress(source)} closed`));
      });
      socket.write(encodeCommand(['PSUBSCRIBE', ...patterns]));
    });
    this.started = true;
    const pingMs = this.opts.pingMs ?? 5000;
    this.timer = setInterval(() => {
      if (Date.now() - this.heardAt > pingMs * 3) {
        socket.destroy();
        this.end(new SyncError('SUBSCRIPTION_SILENT', `the keyspace notification connection to the source ${endpointAddress(source)} `
          + `answered no PING for ${Math.round((pingMs * 3) / 1000)} s`));
        return;
      }
      socket.write(encodeCommand(['PING']));
    }, pingMs);
    this.timer.unref();
  }

  /**
   * Resolves once every event of a write the source ran before now has been delivered: the source answers
   * this connection's PING after the events already queued on it. (The periodic PINGs' pongs may answer
   * first; that only resolves it a little early for an older PING, so two are sent.)
   */
  async caughtUp(timeoutMs = 5000): Promise<void> {
    if (!this.socket || this.closed || this.lost) return;
    const pongs = [0, 1].map(() => new Promise<void>((resolve) => this.pongWaiters.push(resolve)));
    this.socket.write(encodeCommand(['PING']));
    this.socket.write(encodeCommand(['PING']));
    await Promise.race([Promise.all(pongs), new Promise((r) => setTimeout(r, timeoutMs).unref())]);
  }

  private onMessage(value: RespValue): void {
    if (isArray(value, 'pong')) {
      this.pongWaiters.shift()?.();
      return;
    }
    if (!Array.isArray(value) || value.length < 4 || !isArray(value, 'pmessage')) return;
    const channel = value[2];
    const key = value[3];
    if (!Buffer.isBuffer(channel) || !Buffer.isBuffer(key)) return;
    const m = CHANNEL.exec(channel.toString('latin1'));
    if (!m) return;
    this.events++;
    this.opts.onEvent({ db: Number(m[1]), event: m[2]!, key: Buffer.from(key) });
  }

  private end(err: Error): void {
    if (this.timer) clearInterval(this.timer);
    if (this.closed || this.lost || !this.started) return;
    this.lost = true;
    this.opts.onLost(err);
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.socket?.destroy();
  }
}

function isArray(value: RespValue, kind: string): value is RespValue[] {
  if (!Array.isArray(value)) return false;
  const first = value[0];
  return (Buffer.isBuffer(first) || typeof first === 'string') && first.toString().toLowerCase() === kind;
}
