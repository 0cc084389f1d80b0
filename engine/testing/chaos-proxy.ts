/**
 * A TCP proxy for fault tests, between the engine and a real redis-server: it
 * passes bytes both ways until told to misbehave the way networks do.
 *
 * - `cut()`: every connection reset at once (a broken link).
 * - `holdReplies()`: the server still gets and runs the commands, their answers
 *   are held back (then lost with `cut()`): commands run, answers lost.
 * - `partition()`: a silent partition — nothing passes either way, no reset, new
 *   connections hang — until `heal()` (what `ip link set <veth> down` does).
 * - `refuse()`: new connections are reset at once, until `heal()` (a host that is down).
 */
import net from 'node:net';

interface Pair {
  client: net.Socket;
  upstream: net.Socket;
}

export class ChaosProxy {
  private readonly pairs = new Set<Pair>();
  private holding = false;
  private silent = false;
  private refusing = false;
  /** Bytes that arrived during a partition, delivered at heal() like TCP retransmission would. */
  private readonly held = new Map<net.Socket, Buffer[]>();
  /** Connections made during a partition: they reach the server only when it heals. */
  private pendingConnects: (() => void)[] = [];
  /** Connections accepted so far (to tell a reconnect happened). */
  connections = 0;

  private constructor(private readonly server: net.Server, readonly port: number, private readonly targetPort: number,
    private readonly targetHost: string) {}

  static async start(targetPort: number, targetHost = '127.0.0.1'): Promise<ChaosProxy> {
    let proxy: ChaosProxy | undefined;
    const server = net.createServer((client) => proxy!.accept(client));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    proxy = new ChaosProxy(server, (server.address() as net.AddressInfo).port, targetPort, targetHost);
    return proxy;
  }

  private accept(client: net.Socket): void {
    this.connections++;
    if (this.refusing) {
      client.resetAndDestroy();
      return;
    }
    client.pause();
    const open = () => {
      const upstream = net.connect(this.targetPort, this.targetHost);
      const pair: Pair = { client, upstream };
      this.pairs.add(pair);
      client.on('data', (d) => this.pass(d, upstream, false));
      upstream.on('data', (d) => this.pass(d, client, true));
      const end = () => {
        client.destroy();
        upstream.destroy();
        this.pairs.delete(pair);
      };
      for (const s of [client, upstream]) {
        s.on('close', end);
        s.on('error', end);
      }
      client.resume();
    };
    if (this.silent) this.pendingConnects.push(open);
    else open();
  }

  private pass(data: Buffer, to: net.Socket, reply: boolean): void {
    if (this.silent) {
      const queue = this.held.get(to) ?? [];
      queue.push(data);
      this.held.set(to, queue);
      return;
    }
    if (reply && this.holding) return;
    to.write(data);
  }

  holdReplies(): void {
    this.holding = true;
  }

  /** Resets every connection; new ones pass replies again. */
  cut(): void {
    for (const { client, upstream } of this.pairs) {
      client.resetAndDestroy();
      upstream.destroy();
    }
    this.pairs.clear();
    this.held.clear();
    this.holding = false;
  }

  partition(): void {
    this.silent = true;
  }

  refuse(): void {
    this.refusing = true;
  }

  /** Ends a partition (held bytes are delivered, waiting connections go through) or a refusal. */
  heal(): void {
    this.silent = false;
    this.refusing = false;
    for (const [to, chunks] of this.held) if (!to.destroyed) for (const c of chunks) to.write(c);
    this.held.clear();
    const waiting = this.pendingConnects;
    this.pendingConnects = [];
    for (const open of waiting) open();
  }

  async close(): Promise<void> {
    this.heal();
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
