/**
 * Writes to a Redis Cluster destination. Every command goes to the master that
 * owns its keys' slot, pipelined per node. MOVED refreshes the slot map and
 * resends; ASK sends ASKING and the command to the importing node once;
 * TRYAGAIN and CLUSTERDOWN are retried. A broken node connection rediscovers
 * the topology (a failover promotes a replica) and resends what that node had
 * not answered, in order.
 *
 * Commands whose keys hash to different slots keep their meaning (PRODUCT.md):
 * split by slot or emulated on co-located copies (cross-slot.ts). MULTI/EXEC
 * blocks run per slot, in order.
 *
 * The checkpoint moves to a source position only once every command sent
 * before it, on every node, has been answered. Writes here are at least once:
 * after a broken node connection or a transient reply the unanswered commands
 * are sent again (from the MULTI of a block), an error showing that a first run
 * got through is not a failure, and keys where a second run counts twice are
 * reported (replay.ts); retries follow the one RetryPolicy (retry.ts).
 */
import { commandInfo, commandName, keyPositions } from '../commands/table';
import type { RedisEndpoint } from '../endpoint';
import { endpointAddress } from '../endpoint';
import { describeError } from '../errors';
import { argvBuffers, RespErrorReply, type RespArg, type RespValue } from '../resp';
import { discoverCluster, SlotMap, type ClusterNode } from '../cluster/topology';
import { keySlot } from '../cluster/slot';
import { capabilitiesOf, moduleNamesOf, parseVersion, type DestinationCapabilities } from './capabilities';
import { PipelinedConnection } from './connection';
import { CrossSlotCommands } from './cross-slot';
import { isTransientReply, rejectedWrite, WriterError } from './errors';
import { WriteThrottle } from './rate-limiter';
import { commandNameOf, ranBefore, unsafelyRepeatedKeys } from './replay';
import { RetryPolicy, sleep } from './retry';
import type { DestinationWriter, StreamPosition, WriterOptions, WriterStats } from './types';

interface Op {
  argv: RespArg[];
  seq: number;
  slot: number;
  /** Set for commands sent to every master: which masters (by address) have it in flight, and which answered. */
  fanout?: { waiting: Set<string>; answered: Set<string> };
  /** Resolves a `call()` (emulation reads); such ops have no seq of their own. */
  resolve?: (reply: RespValue) => void;
  reject?: (err: Error) => void;
  asking?: boolean;
  /** The MULTI block this op belongs to (one slot, one node), so a resend starts at its MULTI. */
  block?: Op[];
  /** Answered with a transient error (LOADING, BUSY, …): certainly not run. */
  refused?: boolean;
  /** Sent again after a broken connection although it may have run already. */
  replayed?: boolean;
}

interface Node {
  endpoint: RedisEndpoint;
  conn?: PipelinedConnection<Op>;
}


export class ClusterWriter implements DestinationWriter {
  private nodes: Node[] = [];
  private slots?: SlotMap;
  private capabilities?: DestinationCapabilities;
  private readonly limiter: WriteThrottle;
  private readonly retry: RetryPolicy;
  private fatal?: Error;
  private recovering?: Promise<void>;
  private nextSeq = 0;
  private floor = 0;
  private readonly done = new Set<number>();
  private readonly marks = new Map<number, StreamPosition>();
  private checkpointMark?: StreamPosition;
  private block?: RespArg[][];
  private blockMark?: StreamPosition;
  /** Commands whose keys span slots (split or emulated: cross-slot.ts). */
  private readonly crossSlot = new CrossSlotCommands({
    address: () => this.address,
    writeOne: (argv, mark) => this.writeOne(argv, mark),
    advance: (mark) => this.advance(mark),
    quiesce: () => this.quiesce(),
    callInSlot: (slot, argv) => this.call(this.nodeIndexFor(slot), argv),
    callForKey: (key, argv) => this.callForKey(key, argv),
    log: (level, message) => this.opts.log?.(level, message),
  });
  /** Commands awaiting a reply, per slot: a moved slot's new commands wait until its old ones are redirected. */
  private readonly slotInflight = new Uint32Array(16384);
  /** Slots being moved: commands written meanwhile, in order. */
  private readonly held = new Map<number, Op[]>();
  private redirects: Promise<void> = Promise.resolve();
  /** Per failed connection, the ops to send again (late replies on it take theirs out). */
  private readonly resending = new Map<PipelinedConnection<Op>, Op[]>();
  readonly stats: WriterStats = { commands: 0, bytes: 0, errors: 0, retries: 0 };

  constructor(readonly seed: RedisEndpoint, private readonly opts: WriterOptions = {}) {
    this.limiter = new WriteThrottle(opts.rps ?? 0, opts.bytesPerSecond ?? 0);
    this.retry = new RetryPolicy(opts);
  }

  get address(): string {
    return `cluster ${endpointAddress(this.seed)}`;
  }

  async open(): Promise<DestinationCapabilities> {
    await this.refreshTopology();
    const info = await this.call(0, ['INFO', 'server']);
    if (info instanceof RespErrorReply) throw rejectedWrite(this.address, 'INFO', undefined, info);
    // Which modules it loads, so a key of a module type it lacks fails naming both (refused: only the built-in ones are known).
    const modules = moduleNamesOf(await this.call(0, ['MODULE', 'LIST']));
    this.capabilities = capabilitiesOf(parseVersion(String(info)), modules);
    return this.capabilities;
  }

  get destination(): DestinationCapabilities {
    if (!this.capabilities) throw new Error('ClusterWriter.open() was not called');
    return this.capabilities;
  }

  get checkpoint(): StreamPosition | undefined {
    return this.checkpointMark;
  }

  get failed(): Error | undefined {
    return this.fatal;
  }

  /** How many masters the destination has. */
  get masters(): number {
    return this.nodes.length;
  }

  setRate(rps: number, bytesPerSecond = 0): void {
    this.limiter.set(rps, bytesPerSecond);
  }

  /** A cluster has only DB 0: anything else is refused (the precheck says so first). */
  selectDb(db: number): void {
    if (db !== 0) {
      throw new WriterError('CLUSTER_DB', `the destination is a cluster, which has only DB 0, but the task writes to DB ${db}`,
        'map the source DB to DB 0 in Selected Objects');
    }
  }

  private async refreshTopology(): Promise<void> {
    const topology = await discoverCluster(this.seed, 'destination');
    const byAddress = new Map(this.nodes.map((n) => [endpointAddress(n.endpoint), n]));
    const nodes: Node[] = [];
    for (const m of topology.masters) {
      const existing = byAddress.get(endpointAddress(m.endpoint));
      nodes.push(existing && !existing.conn?.failed ? existing : { endpoint: m.endpoint });
    }
    for (const n of this.nodes) if (!nodes.includes(n)) n.conn?.close();
    this.nodes = nodes;
    this.slots = new SlotMap(topology.masters as ClusterNode[]);
    await Promise.all(nodes.map((n, i) => this.connect(i)));
  }

  private async connect(index: number): Promise<PipelinedConnection<Op>> {
    const node = this.nodes[index];
    if (node.conn && !node.conn.failed) return node.conn;
    const conn: PipelinedConnection<Op> = new PipelinedConnection<Op>(
      node.endpoint,
      (reply, op) => this.onReply(conn, reply, op),
      (err) => this.onConnectionFailure(conn, err),
      { maxInFlight: this.opts.maxInFlight, maxInFlightBytes: this.opts.maxInFlightBytes, replyTimeoutMs: this.opts.replyTimeoutMs },
    );
    await conn.open();
    node.conn = conn;
    return conn;
  }

  private nodeIndexFor(slot: number): number {
    const i = this.slots!.nodeFor(slot);
    if (i < 0) throw new WriterError('SLOT_UNSERVED', `no destination master serves slot ${slot}`);
    return i;
  }

  /** Sends one op to the node owning its slot (or every node for a fan-out op). */
  private dispatch(op: Op, node = op.fanout ? -1 : this.nodeIndexFor(op.slot)): void {
    if (node < 0) {
      // Sent again after a break: only to the masters that neither answered it nor still have it.
      const f = op.fanout!;
      for (const n of this.nodes) {
        const address = endpointAddress(n.endpoint);
        if (f.answered.has(address) || f.waiting.has(address)) continue;
        f.waiting.add(address);
        n.conn!.send(op.argv, op);
      }
      return;
    }
    const conn = this.nodes[node].conn!;
    if (op.asking) conn.send(['ASKING'], { argv: ['ASKING'], seq: -1, slot: op.slot });
    this.slotInflight[op.slot]++;
    conn.send(op.argv, op);
  }

  /** A slot's last in-flight command came back: commands held while it moved can go now, in order. */
  private settle(slot: number): void {
    if (--this.slotInflight[slot] > 0) return;
    const held = this.held.get(slot);
    if (!held) return;
    this.held.delete(slot);
    for (const op of held) this.dispatch(op);
  }

  private complete(seq: number): void {
    if (seq < 0) return;
    this.done.add(seq);
    while (this.done.has(this.floor)) {
      this.done.delete(this.floor);
      const mark = this.marks.get(this.floor);
      if (mark) {
        this.checkpointMark = mark;
        this.marks.delete(this.floor);
      }
      this.floor++;
    }
  }

  advance(mark: StreamPosition): void {
    const seq = this.nextSeq++;
    this.marks.set(seq, mark);
    this.complete(seq);
  }

  private onReply(conn: PipelinedConnection<Op>, reply: RespValue, op: Op): void {
    if (op.resolve) {
      op.resolve(reply);
      return;
    }
    if (op.seq < 0) return; // ASKING
    if (conn.failed) {
      // Replies still arriving on a connection being replaced: what succeeded needs no resend.
      const resend = this.resending.get(conn);
      if (reply instanceof RespErrorReply && isTransientReply(reply)) op.refused = true;
      else if (resend) {
        const i = resend.indexOf(op);
        if (i >= 0) resend.splice(i, 1);
        this.acknowledge(conn, op, reply);
      }
      return;
    }
    const redirect = reply instanceof RespErrorReply ? /^(MOVED|ASK) (\d+) (\S+)$/.exec(reply.message) : null;
    if (redirect) {
      const kind = redirect[1] as 'MOVED' | 'ASK';
      if (kind === 'MOVED' && !this.held.has(op.slot)) this.held.set(op.slot, []);
      this.redirects = this.redirects.then(() => this.redirect(op, kind, Number(redirect[2]), redirect[3]));
      return;
    }
    if (reply instanceof RespErrorReply && isTransientReply(reply)) {
      // As for a broken connection: everything unanswered on this node is sent again, in order.
      op.refused = true;
      conn.close();
      this.onConnectionFailure(conn, new WriterError('DESTINATION_BUSY', `the destination ${endpointAddress(conn.endpoint)} answered ${reply.message}`), op);
      return;
    }
    this.acknowledge(conn, op, reply);
  }

  /** An answered write: checked, and its seq done once every node's answers for it are in. */
  private acknowledge(conn: PipelinedConnection<Op>, op: Op, reply: RespValue): void {
    if (!op.fanout) this.settle(op.slot);
    if (reply instanceof RespErrorReply) {
      if (!(op.replayed && ranBefore(op.argv, reply))) {
        this.setFatal(op, reply);
        return;
      }
    }
    if (Array.isArray(reply) && commandNameOf(op.argv) === 'EXEC') {
      const queued = op.block ? op.block.slice(1, -1) : [];
      for (const [i, r] of reply.entries()) {
        if (!(r instanceof RespErrorReply)) continue;
        const failed = queued[i] ?? op;
        if (op.replayed && ranBefore(failed.argv, r)) continue;
        this.setFatal(failed, r);
        return;
      }
    }
    if (this.retry.troubled && (Array.isArray(reply) || op.block === undefined)) this.retry.succeeded();
    if (op.fanout) {
      const address = endpointAddress(conn.endpoint);
      op.fanout.waiting.delete(address);
      op.fanout.answered.add(address);
      if (op.fanout.waiting.size > 0) return;
    }
    this.complete(op.seq);
  }

  private async redirect(op: Op, kind: 'MOVED' | 'ASK', slot: number, address: string): Promise<void> {
    try {
      const colon = address.lastIndexOf(':');
      const host = address.slice(0, colon) || this.seed.host;
      const port = Number(address.slice(colon + 1));
      let index = this.nodes.findIndex((n) => n.endpoint.host === host && n.endpoint.port === port);
      if (index < 0) {
        this.nodes.push({ endpoint: { ...this.seed, host, port } });
        index = this.nodes.length - 1;
        await this.connect(index);
      }
      if (kind === 'MOVED') this.slots!.assign(slot, index);
      this.slotInflight[op.slot]--; // the redirected copy is counted when dispatched
      this.dispatch({ ...op, asking: kind === 'ASK' }, index);
    } catch (err) {
      this.fatal ??= err instanceof Error ? err : new Error(String(err));
    }
  }

  private setFatal(op: Op, reply: RespErrorReply): void {
    if (this.fatal) return;
    const argv = argvBuffers(op.argv);
    const info = commandInfo(argv);
    const key = info ? keyPositions(info, argv).map((i) => argv[i])[0] : undefined;
    this.fatal = rejectedWrite(this.address, commandName(argv), key, reply, argv);
  }

  /** A node's connection broke (or refused with a transient reply): rediscover, reconnect, resend what it had not answered. */
  private onConnectionFailure(conn: PipelinedConnection<Op>, err: Error, firstFailed?: Op): void {
    if (this.fatal || this.resending.has(conn)) return;
    const unanswered = firstFailed ? [firstFailed, ...conn.unanswered()] : conn.unanswered();
    this.resending.set(conn, unanswered);
    const busy = firstFailed !== undefined;
    const previous = this.recovering ?? Promise.resolve();
    this.recovering = previous.then(() => this.recover(err, conn, busy)).finally(() => {
      this.resending.delete(conn);
      this.recovering = undefined;
    });
  }

  private async recover(cause: Error, conn: PipelinedConnection<Op>, busy: boolean): Promise<void> {
    if (this.fatal) return;
    this.stats.errors++;
    const attempt = this.retry.attempt(busy ? 'busy' : 'connection');
    if (attempt.expired) {
      this.fatal = new WriterError('RETRY_EXHAUSTED', `gave up on the destination ${this.address}: ${describeError(cause)}`,
        'the retry time ran out; check the destination cluster and start the task again');
      return;
    }
    this.opts.log?.('warn', `${describeError(cause)}; rediscovering the destination cluster`);
    for (;;) {
      await attempt.pause();
      this.stats.retries++;
      try {
        await this.refreshTopology();
        break;
      } catch (err) {
        if (attempt.expired) {
          this.fatal = new WriterError('RETRY_EXHAUSTED', `gave up reconnecting to the destination ${this.address}: ${describeError(err)}`,
            'the retry time ran out; check the destination cluster and start the task again');
          return;
        }
      }
    }
    let unanswered = this.resending.get(conn) ?? [];
    // A block cut by the break is sent again from its MULTI: the queued part died with the connection.
    const block = unanswered.find((op) => op.block)?.block;
    if (block && unanswered.includes(block[block.length - 1]!)) {
      const first = unanswered.findIndex((op) => op.block === block);
      const from = block.indexOf(unanswered[first]!);
      unanswered = [...unanswered.slice(0, first), ...block.slice(0, from), ...unanswered.slice(first)];
    }
    const resent = new Set(unanswered);
    const mayHaveRun = (op: Op): boolean => {
      if (op.refused || op.resolve) return false;
      if (!op.block) return true;
      const exec = op.block[op.block.length - 1]!;
      return resent.has(exec) && !exec.refused;
    };
    const again: Op[] = [];
    for (const op of unanswered) {
      if (op.resolve) op.reject?.(cause);
      else if (op.seq >= 0) {
        if (mayHaveRun(op)) {
          op.replayed = true;
          again.push(op);
        }
        op.refused = false;
        if (op.fanout) op.fanout.waiting.delete(endpointAddress(conn.endpoint));
        else this.slotInflight[op.slot]--; // counted again when resent
        this.dispatch(op);
      }
    }
    this.opts.log?.('info', `reconnected to the destination cluster; resent ${unanswered.length} unanswered command(s)`);
    const keys = unsafelyRepeatedKeys(again.map((op) => ({ argv: op.argv, db: 0 })));
    if (keys.length > 0) this.opts.onReplayed?.(keys);
  }

  /** A command whose reply the writer needs (emulation), in order with everything sent to that node. */
  private call(node: number, argv: RespArg[], asking = false): Promise<RespValue> {
    return new Promise((resolve, reject) => {
      const conn = this.nodes[node].conn!;
      if (asking) conn.send(['ASKING'], { argv: ['ASKING'], seq: -1, slot: 0 });
      conn.send(argv, { argv, seq: -1, slot: 0, resolve, reject });
    });
  }

  private async callForKey(key: Buffer, argv: RespArg[]): Promise<RespValue> {
    const reply = await this.call(this.nodeIndexFor(keySlot(key)), argv);
    if (reply instanceof RespErrorReply) {
      const moved = /^(MOVED|ASK) (\d+) (\S+)$/.exec(reply.message);
      if (moved) {
        await this.refreshTopology();
        return this.callForKey(key, argv);
      }
    }
    return reply;
  }

  write(argv: RespArg[], mark?: StreamPosition, records = 1, slot?: number): Promise<void> | undefined {
    if (this.fatal) throw this.fatal;
    if (slot !== undefined && !this.block) return this.writeOne(argv, mark, records, slot);
    const name = typeof argv[0] === 'string' ? argv[0].toUpperCase() : String(argv[0]).toUpperCase();
    if (this.block) {
      if (name === 'EXEC') {
        const block = this.block;
        this.block = undefined;
        return this.runBlock(block, mark ?? this.blockMark);
      }
      this.block.push(argv);
      return undefined;
    }
    if (name === 'MULTI') {
      this.block = [];
      this.blockMark = mark;
      return undefined;
    }
    return this.writeOne(argv, mark, records);
  }

  /** `knownSlot`: the slot of all its keys, given by the caller (pre-encoded keys are not read). */
  private writeOne(argv: RespArg[], mark?: StreamPosition, records = 1, knownSlot?: number): Promise<void> | undefined {
    let op: Op;
    if (knownSlot !== undefined) {
      op = { argv, seq: this.nextSeq++, slot: knownSlot };
    } else {
      const buffers = argvBuffers(argv);
      const info = commandInfo(buffers);
      const positions = info ? keyPositions(info, buffers) : [];
      const slots = new Set(positions.map((i) => keySlot(buffers[i])));
      if (slots.size > 1) return this.crossSlot.write(argv, buffers, positions, mark);
      op = { argv, seq: this.nextSeq++, slot: slots.size === 1 ? [...slots][0] : 0 };
      if (positions.length === 0) op.fanout = { waiting: new Set(), answered: new Set() };
    }
    if (mark) this.marks.set(op.seq, mark);
    return this.enqueue(op, records);
  }

  private enqueue(op: Op, records = 1): Promise<void> | undefined {
    if (this.recovering) return this.recovering.then(() => this.enqueue(op, records));
    this.stats.commands++;
    const delay = this.limiter.unlimited ? 0 : this.limiter.take(op.argv, records);
    const held = op.fanout ? undefined : this.held.get(op.slot);
    if (held) {
      held.push(op);
      return undefined;
    }
    const node = op.fanout ? -1 : this.nodeIndexFor(op.slot);
    const targets = node < 0 ? this.nodes : [this.nodes[node]];
    const full = targets.find((n) => n.conn!.full);
    if (delay === 0 && !full) {
      this.dispatch(op, node);
      return undefined;
    }
    return (async () => {
      if (delay > 0) await sleep(delay);
      for (const n of targets) await n.conn!.waitForRoom();
      if (this.fatal) throw this.fatal;
      this.dispatch(op, node);
    })();
  }

  /** MULTI/EXEC on a cluster: consecutive commands of one slot run as one transaction, in order. */
  private async runBlock(block: RespArg[][], mark?: StreamPosition): Promise<void> {
    let group: RespArg[][] = [];
    let groupSlot = -1;
    const flushGroup = async () => {
      if (group.length === 0) return;
      const cmds = group;
      group = [];
      if (cmds.length === 1) await this.writeOne(cmds[0]);
      else {
        const ops: Op[] = [['MULTI'], ...cmds, ['EXEC']].map((argv) => ({ argv, seq: this.nextSeq++, slot: groupSlot }));
        for (const op of ops) op.block = ops;
        for (const op of ops) await this.enqueue(op);
      }
    };
    for (const argv of block) {
      const buffers = argvBuffers(argv);
      const info = commandInfo(buffers);
      const positions = info ? keyPositions(info, buffers) : [];
      const slots = new Set(positions.map((i) => keySlot(buffers[i])));
      if (slots.size === 1 && ([...slots][0] === groupSlot || group.length === 0)) {
        groupSlot = [...slots][0];
        group.push(argv);
        continue;
      }
      await flushGroup();
      if (slots.size === 1) {
        groupSlot = [...slots][0];
        group.push(argv);
      } else {
        await this.writeOne(argv);
      }
    }
    await flushGroup();
    if (mark) this.advance(mark);
  }

  /** Waits until every node has answered everything sent so far. */
  private async quiesce(): Promise<void> {
    for (;;) {
      if (this.fatal) throw this.fatal;
      if (this.recovering) {
        await this.recovering;
        continue;
      }
      await Promise.all(this.nodes.map((n) => n.conn!.idle().catch(() => undefined)));
      if (!this.recovering && this.floor === this.nextSeq) return;
      await sleep(1);
    }
  }

  async flush(): Promise<void> {
    if (this.block) throw new WriterError('OPEN_BLOCK', 'a MULTI block was left open');
    await this.quiesce();
    if (this.fatal) throw this.fatal;
  }

  async readKey(db: number, key: Buffer): Promise<Buffer | null> {
    this.selectDb(db);
    await this.flush();
    const reply = await this.callForKey(key, ['GET', key]);
    if (reply instanceof RespErrorReply) throw rejectedWrite(this.address, 'GET', key, reply);
    return reply === null ? null : (reply as Buffer);
  }

  async setKey(db: number, key: Buffer, value: string | null): Promise<void> {
    this.selectDb(db);
    await this.flush();
    const reply = await this.callForKey(key, value === null ? ['DEL', key] : ['SET', key, value]);
    if (reply instanceof RespErrorReply) throw rejectedWrite(this.address, value === null ? 'DEL' : 'SET', key, reply);
  }

  /** A MULTI can hold only one slot here, and the stream spans them all: writes stay at least once. */
  beginUnits(): boolean {
    return false;
  }

  async endUnits(): Promise<void> {
    return undefined;
  }

  commitUnit(): undefined {
    return undefined;
  }

  close(): void {
    for (const n of this.nodes) n.conn?.close();
  }
}
