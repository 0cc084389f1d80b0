/**
 * One side of a verification (the source or the destination): a standalone
 * server or every master of a cluster, with one ioredis connection per node and
 * DB, commands routed by hash slot, and what each node can do (PEXPIRETIME,
 * DEBUG DIGEST-VALUE, SMISMEMBER …).
 */
import Redis, { ReplyError } from 'ioredis';
import { endpointAddress, type RedisEndpoint } from '../endpoint';
import { DtsError } from '../errors';
import { replyFailure } from '../net/failure';
import { NetError, tlsConnectOptions, type Role } from '../net/socket';
import { keySlot } from '../cluster/slot';
import { parseServerVersion, type ServerVersion } from '../servers/facts';

export class VerifyError extends DtsError {}

/** Thrown when a cluster node answers MOVED/ASK: the slot map changed under us. */
export class SlotMovedError extends Error {}

export interface NodeCaps {
  version: string;
  /** PEXPIRETIME (7.0+): absolute expiry without a clock race. */
  pexpiretime: boolean;
  /** SMISMEMBER, ZMSCORE, exclusive XRANGE/XPENDING bounds (6.2+). */
  v62: boolean;
  /** DEBUG DIGEST-VALUE answers. */
  digest: boolean;
  /** The product's own version (servers/facts.ts), undefined when INFO does not say. */
  server?: ServerVersion;
}

/** One reply of a pipeline: the value or the error the server gave. */
export type Reply = { err: Error | null; value: unknown };
export type Cmd = [string, ...(string | Buffer | number)[]];

function versionAtLeast(version: string, major: number, minor: number): boolean {
  const [a, b] = version.split('.').map((n) => Number(n));
  return a > major || (a === major && b >= minor);
}

function infoField(info: string, name: string): string | undefined {
  const m = new RegExp(`^${name}:(.*)$`, 'm').exec(info);
  return m?.[1].trim();
}

function sameAddress(a: RedisEndpoint, b: { host: string; port: number }): boolean {
  return a.host === b.host && a.port === b.port;
}

/**
 * A connected, logged-in client on one DB. Credentials are sent by hand (not
 * through ioredis' connect-time AUTH) so a wrong password fails here with a
 * clear error instead of as an 'error' event.
 */
export async function connectClient(ep: RedisEndpoint, role: Role, db: number, timeoutMs: number): Promise<Redis> {
  const client = new Redis({
    host: ep.host,
    port: ep.port,
    lazyConnect: true,
    connectTimeout: timeoutMs,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    enableReadyCheck: false,
    autoResubscribe: false,
    // A server that stops answering must not hang the verification forever.
    commandTimeout: 120_000,
    tls: tlsConnectOptions(ep),
  });
  let socketError: (Error & { code?: string }) | undefined;
  client.on('error', (err: Error & { code?: string }) => { socketError ??= err; });
  const where = `the ${role} ${endpointAddress(ep)}`;
  try {
    try {
      await client.connect();
    } catch (err) {
      const e = (socketError ?? err) as Error & { code?: string };
      if (/timed? ?out/i.test(e.message) && !e.code) e.code = 'ETIMEDOUT';
      throw NetError.fromSocket(e, ep, role, 'connect');
    }
    try {
      if (ep.password !== undefined || ep.username !== undefined) {
        try {
          if (ep.username) await client.call('AUTH', ep.username, ep.password ?? '');
          else await client.call('AUTH', ep.password ?? '');
        } catch (err) {
          if (!/without any password configured|no password is set/i.test((err as Error).message)) throw err;
        }
      }
      if (db !== 0) await client.call('SELECT', db);
      else await client.call('PING');
    } catch (err) {
      const msg = (err as Error).message;
      const refused = replyFailure(msg, 'verify');
      if (refused) throw NetError.of(refused, ep, role);
      if (/DB index is out of range|invalid DB index/i.test(msg)) {
        throw new VerifyError('DB_OUT_OF_RANGE', `${where} has no DB ${db}: ${msg}`, 'check the DB selection and mapping');
      }
      if (socketError) throw NetError.fromSocket(socketError, ep, role, 'login');
      throw new VerifyError('CONNECT', `${where}: ${msg}`);
    }
    // From here on a dropped connection rejects the command in flight (no silent reconnect).
    client.removeAllListeners('error');
    client.on('error', () => undefined);
    return client;
  } catch (err) {
    client.disconnect();
    throw err;
  }
}

/** One node (a standalone server or a cluster master) with a connection per DB. */
export class NodeConn {
  private readonly clients = new Map<number, Promise<Redis>>();

  constructor(
    readonly endpoint: RedisEndpoint,
    readonly role: Role,
    readonly caps: NodeCaps,
    private readonly timeoutMs: number,
    first?: Redis,
  ) {
    if (first) this.clients.set(0, Promise.resolve(first));
  }

  get address(): string {
    return endpointAddress(this.endpoint);
  }

  client(db: number): Promise<Redis> {
    let c = this.clients.get(db);
    if (!c) {
      c = connectClient(this.endpoint, this.role, db, this.timeoutMs);
      c.catch(() => this.clients.delete(db));
      this.clients.set(db, c);
    }
    return c;
  }

  /** Runs commands in one pipeline; a reply that is an error is returned, not thrown. */
  async pipeline(db: number, cmds: Cmd[]): Promise<Reply[]> {
    if (cmds.length === 0) return [];
    const client = await this.client(db);
    const p = client.pipeline();
    for (const [name, ...args] of cmds) p.callBuffer(name, ...args);
    let out: [Error | null, unknown][] | null;
    try {
      out = await p.exec();
    } catch (err) {
      throw this.wrap(err);
    }
    if (!out) throw new VerifyError('LINK_BROKEN', `the ${this.role} ${this.address} closed the connection`);
    return out.map(([err, value]) => {
      // A connection that breaks mid-pipeline fails each command with a client-side error, not a server reply.
      if (err && !(err instanceof ReplyError)) throw this.wrap(err);
      if (err && /^(MOVED|ASK) /.test(err.message)) throw new SlotMovedError(err.message);
      if (err && /^NOPERM/.test(err.message)) {
        throw new VerifyError('NOPERM', `the ${this.role} account may not run a command verification needs: ${err.message}`,
          'grant the account +@read and +xinfo (and +debug for the fast digest path, optional)');
      }
      return { err, value };
    });
  }

  async call(db: number, cmd: Cmd): Promise<unknown> {
    const [r] = await this.pipeline(db, [cmd]);
    if (r.err) throw r.err;
    return r.value;
  }

  private wrap(err: unknown): Error {
    if (err instanceof DtsError) return err;
    const e = err as Error & { code?: string };
    if (e.code) return NetError.fromSocket(e, this.endpoint, this.role);
    if (/Command timed out/i.test(e.message)) {
      return new NetError('TIMEOUT', `the ${this.role} ${this.address} did not answer within 120 s`, 'check the server load and the network');
    }
    if (/Connection is closed|Stream isn't writeable/i.test(e.message)) {
      return new NetError('LINK_BROKEN', `the connection to the ${this.role} ${this.address} broke during verification`,
        'run the verification again once the server is reachable');
    }
    return e;
  }

  close(): void {
    for (const c of this.clients.values()) c.then((r) => r.disconnect(), () => undefined);
    this.clients.clear();
  }
}

async function probeCaps(client: Redis): Promise<NodeCaps> {
  const info = String(await client.info('server'));
  const version = infoField(info, 'redis_version') ?? '0.0.0';
  let digest = false;
  try {
    const r = await client.call('DEBUG', 'DIGEST-VALUE', '__dts_verify_probe__');
    digest = Array.isArray(r) && r.length === 1;
  } catch {
    digest = false; // disabled (enable-debug-command no / local), or not allowed by ACL
  }
  let server: ServerVersion | undefined;
  try {
    server = parseServerVersion(info);
  } catch {
    server = undefined;
  }
  return { version, pexpiretime: versionAtLeast(version, 7, 0), v62: versionAtLeast(version, 6, 2), digest, server };
}

type SlotRow = [number, number, [Buffer | string, number, ...unknown[]], ...unknown[]];

export class Side {
  /** Index into `nodes` for each of the 16384 slots (cluster only). */
  private slotOwner = new Int32Array(16384).fill(-1);

  private constructor(
    readonly role: Role,
    readonly endpoint: RedisEndpoint,
    readonly cluster: boolean,
    public nodes: NodeConn[],
    private readonly timeoutMs: number,
  ) {}

  static async open(ep: RedisEndpoint, role: Role, timeoutMs = 10_000): Promise<Side> {
    const seed = await connectClient(ep, role, 0, timeoutMs);
    try {
      const clusterInfo = String(await seed.info('cluster').catch(() => ''));
      if (infoField(clusterInfo, 'cluster_enabled') !== '1') {
        const caps = await probeCaps(seed);
        return new Side(role, ep, false, [new NodeConn(ep, role, caps, timeoutMs, seed)], timeoutMs);
      }
      const side = new Side(role, ep, true, [], timeoutMs);
      await side.loadSlots(seed, seed);
      return side;
    } catch (err) {
      seed.disconnect();
      throw err;
    }
  }

  /** Reads CLUSTER SLOTS and connects to every master (keeping connections to known ones). */
  private async loadSlots(via: Redis, seed?: Redis): Promise<void> {
    let rows: SlotRow[];
    try {
      rows = (await via.call('CLUSTER', 'SLOTS')) as SlotRow[];
    } catch (err) {
      throw new VerifyError('CLUSTER', `the ${this.role} ${endpointAddress(this.endpoint)} is a cluster node but CLUSTER SLOTS failed: ${(err as Error).message}`);
    }
    const owner = new Int32Array(16384).fill(-1);
    const nodes: NodeConn[] = [];
    const index = new Map<string, number>();
    for (const [start, end, master] of rows) {
      const announced = String(master[0] ?? '');
      const host = announced && announced !== '?' ? announced : this.endpoint.host;
      const port = Number(master[1]);
      const id = `${host}:${port}`;
      let i = index.get(id);
      if (i === undefined) {
        const known = this.nodes.find((n) => sameAddress(n.endpoint, { host, port }));
        let node = known;
        if (!node) {
          const endpoint: RedisEndpoint = { ...this.endpoint, host, port };
          const useSeed = seed && sameAddress(this.endpoint, { host, port });
          const client = useSeed ? seed : await connectClient(endpoint, this.role, 0, this.timeoutMs);
          node = new NodeConn(endpoint, this.role, await probeCaps(client), this.timeoutMs, client);
        }
        i = nodes.length;
        nodes.push(node);
        index.set(id, i);
      }
      for (let s = Number(start); s <= Number(end); s++) owner[s] = i;
    }
    if (seed && !nodes.some((n) => sameAddress(n.endpoint, this.endpoint))) seed.disconnect();
    for (const old of this.nodes) if (!nodes.includes(old)) old.close();
    const uncovered = owner.indexOf(-1);
    if (uncovered >= 0) {
      for (const n of nodes) n.close();
      throw new VerifyError('CLUSTER_DOWN', `the ${this.role} cluster does not serve slot ${uncovered}`, 'wait until CLUSTER INFO reports cluster_state:ok');
    }
    this.nodes = nodes;
    this.slotOwner = owner;
  }

  /** After MOVED/ASK: read the slot map again from any master that answers. */
  async refreshSlots(): Promise<void> {
    if (!this.cluster) return;
    let last: unknown;
    for (const n of this.nodes) {
      try {
        await this.loadSlots(await n.client(0));
        return;
      } catch (err) {
        last = err;
      }
    }
    throw last instanceof Error ? last : new Error(String(last));
  }

  get address(): string {
    return endpointAddress(this.endpoint);
  }

  /** The servers' own versions (servers/facts.ts), where INFO says. */
  get serverVersions(): ServerVersion[] {
    return this.nodes.flatMap((n) => (n.caps.server ? [n.caps.server] : []));
  }

  /** Every node allows DEBUG DIGEST-VALUE. */
  get digest(): boolean {
    return this.nodes.every((n) => n.caps.digest);
  }

  nodeFor(key: Buffer): NodeConn {
    if (!this.cluster) return this.nodes[0];
    return this.nodes[this.slotOwner[keySlot(key)]];
  }

  /**
   * Runs `build(key)` commands for every key, one pipeline per node, all nodes at
   * once; returns each key's replies in the order its commands were given.
   */
  async perKey(db: number, keys: Buffer[], build: (key: Buffer, i: number) => Cmd[]): Promise<Reply[][]> {
    const out: Reply[][] = new Array(keys.length);
    const groups = new Map<NodeConn, { idx: number[]; cmds: Cmd[]; counts: number[] }>();
    keys.forEach((key, i) => {
      const node = this.nodeFor(key);
      let g = groups.get(node);
      if (!g) groups.set(node, (g = { idx: [], cmds: [], counts: [] }));
      const cmds = build(key, i);
      g.idx.push(i);
      g.counts.push(cmds.length);
      g.cmds.push(...cmds);
    });
    await Promise.all([...groups].map(async ([node, g]) => {
      const replies = await node.pipeline(db, g.cmds);
      let at = 0;
      g.idx.forEach((i, j) => {
        out[i] = replies.slice(at, at + g.counts[j]);
        at += g.counts[j];
      });
    }));
    return out;
  }

  /** SCAN every node's `db`, in batches. */
  async *scan(db: number, opts: { match?: Buffer; count?: number; signal?: AbortSignal } = {}): AsyncGenerator<Buffer[]> {
    for (const node of [...this.nodes]) {
      let cursor = '0';
      do {
        opts.signal?.throwIfAborted();
        const args: Cmd = ['SCAN', cursor];
        if (opts.match) args.push('MATCH', opts.match);
        args.push('COUNT', opts.count ?? 1000);
        const [next, keys] = (await node.call(db, args)) as [Buffer, Buffer[]];
        cursor = next.toString();
        if (keys.length > 0) yield keys;
      } while (cursor !== '0');
    }
  }

  /** Keys per DB from INFO keyspace, summed over the nodes. */
  async keyspace(): Promise<Map<number, number>> {
    const out = new Map<number, number>();
    for (const node of this.nodes) {
      const info = String(await node.call(0, ['INFO', 'keyspace']));
      for (const m of info.matchAll(/^db(\d+):keys=(\d+)/gm)) out.set(Number(m[1]), (out.get(Number(m[1])) ?? 0) + Number(m[2]));
    }
    return out;
  }

  /** CONFIG GET databases (16 when CONFIG is not allowed). */
  async databases(): Promise<number> {
    if (this.cluster) return 1;
    try {
      const r = (await this.nodes[0].call(0, ['CONFIG', 'GET', 'databases'])) as Buffer[];
      const n = Number(r?.[1]?.toString());
      return Number.isInteger(n) && n > 0 ? n : 16;
    } catch {
      return 16;
    }
  }

  close(): void {
    for (const n of this.nodes) n.close();
  }
}
