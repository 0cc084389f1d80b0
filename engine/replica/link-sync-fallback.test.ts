/**
 * SYNC fallback. A local redis-server always supports PSYNC, so this uses the one fake of the
 * replica tests: ScriptedLegacyMaster, a small TCP server that answers like a pre-2.8 master
 * (PSYNC → -ERR unknown command, SYNC → keepalives, an RDB bulk, then a command stream). The RDB
 * it serves is a real one, saved by a real redis-server.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { encodeCommand, encodeCommands } from '../resp/encoder';
import { RespParser } from '../resp/parser';
import { RedisServer } from '../testing/redis-server';
import { LinkError } from './errors';
import { ReplicaLink } from './link';
import { CommandReader, collectRdb } from './testing/link-reader';
import { tempDir } from '../testing/temp-dir';
import { withTimeout } from '../testing/wait';

type Script = 'sync-ok' | 'bgsave-fails';

/** FAKE: a scripted master without PSYNC. Records every command it receives. */
class ScriptedLegacyMaster {
  readonly received: string[] = [];
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();

  private constructor(private readonly rdb: Buffer, private readonly stream: Buffer, private readonly script: Script) {
    this.server = net.createServer((sock) => this.serve(sock));
  }

  static async start(rdb: Buffer, stream: Buffer, script: Script): Promise<ScriptedLegacyMaster> {
    const m = new ScriptedLegacyMaster(rdb, stream, script);
    await new Promise<void>((resolve) => m.server.listen(0, '127.0.0.1', resolve));
    return m;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  private serve(sock: net.Socket): void {
    this.sockets.add(sock);
    sock.on('close', () => this.sockets.delete(sock));
    sock.on('error', () => {});
    const parser = new RespParser({ inline: true });
    sock.on('data', (chunk: Buffer) => parser.execute(chunk, (v) => {
      const argv = (v as Buffer[]).map(String);
      this.received.push(argv.join(' '));
      const name = argv[0]!.toUpperCase();
      if (name === 'PING') sock.write('+PONG\r\n');
      else if (name === 'REPLCONF') sock.write('+OK\r\n');
      else if (name === 'PSYNC') sock.write("-ERR unknown command 'PSYNC'\r\n");
      else if (name === 'SYNC') void this.sync(sock);
      else sock.write(`-ERR unknown command '${argv[0]}'\r\n`);
    }));
  }

  private async sync(sock: net.Socket): Promise<void> {
    const pause = () => new Promise((r) => setTimeout(r, 30));
    // Keepalive newlines while "BGSAVE" runs, as old masters send them.
    sock.write('\n');
    await pause();
    sock.write('\n');
    await pause();
    if (this.script === 'bgsave-fails') {
      sock.end("-ERR BGSAVE failed, replication can't continue\r\n");
      return;
    }
    // The header, then the RDB in uneven pieces, with the stream glued to its last piece.
    const third = Math.floor(this.rdb.length / 3);
    sock.write(Buffer.concat([Buffer.from(`$${this.rdb.length}\r\n`), this.rdb.subarray(0, 7)]));
    await pause();
    sock.write(this.rdb.subarray(7, third));
    await pause();
    sock.write(Buffer.concat([this.rdb.subarray(third), this.stream.subarray(0, 5)]));
    await pause();
    sock.write(this.stream.subarray(5));
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const spoolDir = tempDir('dts-replica-sync-');
let rdb: Buffer;
const STREAM_CMDS = [['SELECT', '0'], ['SET', 'a', '1'], ['PING'], ['REPLCONF', 'GETACK', '*'], ['INCR', 'n'], ['DEL', 'a']];
const STREAM = encodeCommands(STREAM_CMDS);

beforeAll(async () => {
  const real = await RedisServer.start();
  const c = real.client();
  try {
    await c.set('legacy:key', 'value');
    await c.rpush('legacy:list', 'a', 'b', 'c');
    await c.call('SAVE');
    rdb = fs.readFileSync(path.join(real.dir, 'dump.rdb'));
  } finally {
    c.disconnect();
    await real.stop();
  }
});
afterAll(() => fs.rmSync(spoolDir, { recursive: true, force: true }));

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0)) await f();
});

describe('ReplicaLink: SYNC fallback for a master without PSYNC (scripted fake master)', () => {
  it('falls back to SYNC on -ERR, delivers the RDB and the stream with offsets from 0, and never ACKs', async () => {
    const fake = await ScriptedLegacyMaster.start(rdb, STREAM, 'sync-ok');
    const link = new ReplicaLink({ host: '127.0.0.1', port: fake.port, spoolDir, ackIntervalMs: 100 });
    cleanup.push(() => link.close(), () => fake.stop());

    const sync = await link.connect();
    expect(sync).toEqual({ mode: 'sync', replid: null, offset: 0 });
    expect(link.canResume).toBe(false);
    const got = await withTimeout(collectRdb(link), 5000, 'RDB');
    expect(got.equals(rdb)).toBe(true);
    expect(link.rdbInfo).toEqual({ kind: 'disk', size: rdb.length });

    const reader = new CommandReader(link);
    const cmds = await reader.until(STREAM.length);
    expect(cmds.map((x) => x.argv.map(String))).toEqual(STREAM_CMDS);
    let offset = 0;
    expect(cmds.map((x) => x.offset)).toEqual(STREAM_CMDS.map((argv) => (offset += encodeCommand(argv).length)));

    await new Promise((r) => setTimeout(r, 600)); // several ACK intervals
    const afterSync = fake.received.slice(fake.received.indexOf('SYNC') + 1);
    expect(fake.received.slice(0, 5)).toEqual(['PING', expect.stringMatching(/^REPLCONF listening-port \d+$/), 'REPLCONF capa eof capa psync2', 'REPLCONF version 9.0.0', 'PSYNC ? -1']);
    expect(fake.received).toContain('SYNC');
    expect(afterSync).toEqual([]); // no REPLCONF ACK, not even for the GETACK
    expect(link.ackedOffset).toBe(-1);
    await reader.return();
  });

  it('-ERR BGSAVE failed after SYNC → SYNC_ABORTED', async () => {
    const fake = await ScriptedLegacyMaster.start(rdb, STREAM, 'bgsave-fails');
    const link = new ReplicaLink({ host: '127.0.0.1', port: fake.port, spoolDir });
    cleanup.push(() => link.close(), () => fake.stop());
    const err = await link.connect().then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(LinkError);
    expect((err as LinkError).code).toBe('SYNC_ABORTED');
    expect((err as LinkError).message).toContain(`127.0.0.1:${fake.port} aborted the snapshot transfer: ERR BGSAVE failed`);
    expect((err as LinkError).retryable).toBe(true);
  });
});
