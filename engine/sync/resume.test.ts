/**
 * Where a broken link resumes, against a scripted master that cuts the replication
 * stream at a chosen byte and then serves PSYNC from its backlog: a transaction cut
 * in two must be received again whole, never half-applied or lost.
 */
import net from 'node:net';
import type Redis from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { encodeCommand, RespParser, type RespArg } from '../resp';
import { RedisServer } from '../testing/redis-server';
import { StreamApplier } from './stream-applier';
import { EntryFilter } from '../filter';
import { capabilitiesOf } from '../writer/capabilities';
import { endTask, runTask, waitStage, type RunningTask } from './testing/run-task';
import { waitFor } from '../testing/wait';

const REPLID = 'a1'.repeat(20);
/** An empty RDB: header, EOF opcode, zero checksum (not checked). */
const EMPTY_RDB = Buffer.concat([Buffer.from('REDIS0010'), Buffer.from([0xff]), Buffer.alloc(8)]);

/**
 * A master that answers the handshake and the engine's control calls, sends the
 * stream up to `cutAt` bytes to the first replica and then drops it, and serves
 * `PSYNC <replid> <offset>` from its whole backlog.
 */
class ScriptedMaster {
  readonly psyncs: string[] = [];
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  port = 0;

  constructor(private readonly backlog: Buffer, private readonly cutAt: number) {
    this.server = net.createServer((socket) => this.serve(socket));
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  private serve(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    const parser = new RespParser();
    socket.on('data', (chunk: Buffer) => parser.execute(chunk, (value) => {
      const argv = (value as Buffer[]).map((b) => b.toString());
      this.answer(socket, argv);
    }));
  }

  private answer(socket: net.Socket, argv: string[]): void {
    const reply = (...parts: (string | Buffer)[]) => socket.write(Buffer.concat(parts.map((p) => (Buffer.isBuffer(p) ? p : Buffer.from(p)))));
    switch (argv[0].toUpperCase()) {
      case 'PING': return void reply('+PONG\r\n');
      case 'REPLCONF': return void (argv[1]?.toUpperCase() === 'ACK' ? undefined : reply('+OK\r\n'));
      case 'INFO': return void reply('$12\r\n# Keyspace\r\n\r\n');
      case 'CONFIG': return void reply('*2\r\n$9\r\ndatabases\r\n$2\r\n16\r\n');
      case 'SET': case 'DEL': return void reply('+OK\r\n');
      case 'PSYNC': {
        this.psyncs.push(argv.slice(1).join(' '));
        if (argv[1] === '?') {
          reply(`+FULLRESYNC ${REPLID} 0\r\n$${EMPTY_RDB.length}\r\n`, EMPTY_RDB, this.backlog.subarray(0, this.cutAt));
          setTimeout(() => socket.destroy(), 100);
          return;
        }
        // Offsets count from 1 for the first stream byte: PSYNC asks for <last applied + 1>.
        const from = Number(argv[2]) - 1;
        reply(`+CONTINUE ${REPLID}\r\n`, this.backlog.subarray(from));
        return;
      }
      default: return void reply(`-ERR unknown command '${argv[0]}'\r\n`);
    }
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const stream = (...commands: RespArg[][]) => Buffer.concat(commands.map((c) => encodeCommand(c)));

describe('resuming a broken link', () => {
  let target: RedisServer;
  let dst: Redis;
  let master: ScriptedMaster | undefined;
  let run: RunningTask | undefined;

  beforeAll(async () => {
    target = await RedisServer.start();
    dst = target.client();
  });
  afterEach(async () => {
    if (run) await run.task.stop().then(() => run?.done);
    run = undefined;
    await master?.close();
    master = undefined;
    await dst.flushall();
  });
  afterAll(async () => {
    dst?.disconnect();
    await target?.stop();
  });

  it('a transaction cut in two by the break is asked for again from its MULTI and applied once, whole', async () => {
    const before = stream(['SELECT', '0'], ['SET', 'x', '0'], ['INCR', 'n']);
    const tx = stream(['MULTI'], ['INCR', 'n'], ['SET', 'a', '1'], ['SELECT', '2'], ['SET', 'b', '2'], ['EXEC']);
    const after = stream(['SELECT', '0'], ['INCR', 'n'], ['SET', 'y', '9']);
    const backlog = Buffer.concat([before, tx, after]);
    // Cut right after `SET a 1`: MULTI, INCR and SET a arrived, the rest did not.
    const cutAt = before.length + stream(['MULTI'], ['INCR', 'n'], ['SET', 'a', '1']).length;
    master = new ScriptedMaster(backlog, cutAt);
    await master.listen();

    run = runTask({ source: { host: '127.0.0.1', port: master.port }, target: { host: '127.0.0.1', port: target.port } });
    await waitFor(() => run!.task.progress.partialResyncs === 1, 10_000, () => `a partial resync:\n${run!.logText()}`);
    await waitStage(run, 'incremental');
    await waitFor(() => (run!.task.progress.checkpoint?.offset ?? 0) >= backlog.length, 10_000, 'the checkpoint to reach the end');

    expect(master.psyncs).toEqual(['? -1', `${REPLID} ${before.length + 1}`]);
    expect(await dst.mget('x', 'n', 'a', 'y')).toEqual(['0', '3', '1', '9']);
    await dst.select(2);
    expect(await dst.get('b')).toBe('2');
    await dst.select(0);
    const progress = await endTask(run);
    run = undefined;
    expect(progress).toMatchObject({ fullSyncs: 1, partialResyncs: 1 });
  });
});

describe('StreamApplier.resumePoint', () => {
  const sink = {
    destination: capabilitiesOf({ product: 'redis', major: 7, minor: 0, patch: 15 }),
    selectDb: () => undefined,
    write: () => undefined,
    advance: () => undefined,
  };

  it('stays before an open MULTI block, with the DB selected there', async () => {
    const applier = new StreamApplier(sink, { filter: new EntryFilter(), initialDb: 4, initialOffset: 1000, log: () => undefined });
    expect(applier.resumePoint).toEqual({ offset: 1000, db: 4 });
    const apply = (offset: number, ...argv: string[]) => applier.apply({ argv: argv.map((a) => Buffer.from(a)), offset });
    await apply(1010, 'SELECT', '1');
    await apply(1020, 'SET', 'k', 'v');
    expect(applier.resumePoint).toEqual({ offset: 1020, db: 1 });
    await apply(1030, 'MULTI');
    await apply(1040, 'SELECT', '3');
    await apply(1050, 'SET', 'k', 'v');
    expect(applier.resumePoint).toEqual({ offset: 1020, db: 1 });
    await apply(1060, 'EXEC');
    expect(applier.resumePoint).toEqual({ offset: 1060, db: 3 });
    await apply(1074, 'PING');
    expect(applier.resumePoint).toEqual({ offset: 1074, db: 3 });
  });
});
