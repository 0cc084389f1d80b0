/**
 * ReplicaLink against real redis-server 7.0 masters: full sync (disk and diskless), command
 * stream offsets, WAIT, partial resync after CLIENT KILL, and a slow consumer under a small
 * replica output-buffer limit.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type Redis from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RedisServer } from '../testing/redis-server';
import { LinkError } from './errors';
import { ReplicaLink, isReplicationControl } from './link';
import { crc64 } from '../rdb/crc64';
import { CommandReader, collectRdb, dataCommands } from './testing/link-reader';
import { infoReplication, masterReplOffset } from '../testing/redis-info';
import { tempDir } from '../testing/temp-dir';
import { waitFor, withTimeout } from '../testing/wait';

const spoolRoot = tempDir('dts-replica-spool-');
afterAll(() => fs.rmSync(spoolRoot, { recursive: true, force: true }));

const links: ReplicaLink[] = [];
function newLink(master: RedisServer, extra: Partial<ConstructorParameters<typeof ReplicaLink>[0]> = {}): ReplicaLink {
  const link = new ReplicaLink({
    host: '127.0.0.1',
    port: master.port,
    spoolDir: fs.mkdtempSync(path.join(spoolRoot, 's-')),
    connectTimeoutMs: 5000,
    ...extra,
  });
  links.push(link);
  return link;
}
afterEach(async () => {
  await Promise.all(links.splice(0).map((l) => l.close()));
});

async function seed(c: Redis): Promise<void> {
  const p = c.pipeline();
  for (let i = 0; i < 3000; i++) p.set(`str:${i}`, `value-${i}`);
  p.hset('hash', 'a', '1', 'b', '2');
  p.rpush('list', 'x', 'y', 'z');
  p.sadd('set', 'm1', 'm2');
  p.zadd('zset', 1.5, 'one', -2, 'two');
  p.set('big', randomBytes(2 * 1024 * 1024)); // incompressible: spans many socket reads
  await p.exec();
}

/** Writes with a known replicated form, and what the stream must contain for them. */
async function writeKnown(c: Redis, tag: string): Promise<string[]> {
  await c.set(`${tag}:a`, '1');
  await c.hset(`${tag}:h`, 'f', 'v');
  await c.incr(`${tag}:n`);
  await c.lpush(`${tag}:l`, 'x', 'y');
  await c.del(`${tag}:a`);
  await c.multi().set(`${tag}:b`, '2').incr(`${tag}:n`).exec();
  await c.call('SELECT', '3');
  await c.set(`${tag}:db3`, 'z');
  await c.call('SELECT', '0');
  await c.call('APPEND', `${tag}:bin`, Buffer.from([0, 13, 10, 255]));
  return [
    `SET ${tag}:a 1`, `HSET ${tag}:h f v`, `INCR ${tag}:n`, `LPUSH ${tag}:l x y`, `DEL ${tag}:a`,
    'MULTI', `SET ${tag}:b 2`, `INCR ${tag}:n`, 'EXEC',
    'SELECT 3', `SET ${tag}:db3 z`, 'SELECT 0', `APPEND ${tag}:bin ${Buffer.from([0, 13, 10, 255]).toString()}`,
  ];
}

async function replicaOnline(c: Redis, offset?: number): Promise<boolean> {
  const info = await infoReplication(c);
  const s = info.slave0 ?? '';
  return s.includes('state=online') && (offset === undefined || s.includes(`offset=${offset},`));
}

describe('ReplicaLink: full sync, disk mode (repl-diskless-sync no)', () => {
  let master: RedisServer;
  let c: Redis;
  beforeAll(async () => {
    master = await RedisServer.start({ config: { 'repl-diskless-sync': 'no' } });
    c = master.client();
    await seed(c);
  });
  afterAll(async () => {
    c?.disconnect();
    await master?.stop();
  });

  it('delivers the RDB byte for byte, then the writes in order with exact offsets, and ACKs them', async () => {
    const link = newLink(master, { listeningPort: 7777 });
    const sync = await link.connect();
    expect(sync.mode).toBe('full');
    expect(sync.replid).toMatch(/^[0-9a-f]{40}$/);
    expect(link.replid).toBe(sync.replid);

    const rdb = await withTimeout(collectRdb(link), 20_000, 'RDB');
    expect(link.rdbInfo).toEqual({ kind: 'disk', size: rdb.length });
    // The master saved the snapshot it sent as dump.rdb.
    const dump = fs.readFileSync(path.join(master.dir, 'dump.rdb'));
    expect(rdb.length).toBe(dump.length);
    expect(rdb.equals(dump)).toBe(true);

    await waitFor(() => replicaOnline(c), 5000, 'replica online');
    expect((await infoReplication(c)).slave0).toContain('port=7777');

    const reader = new CommandReader(link);
    const expected = await writeKnown(c, 'disk');
    const end = await masterReplOffset(c);
    const cmds = await reader.until(end);
    expect(dataCommands(cmds)).toEqual(['SELECT 0', ...expected]);
    expect(cmds.at(-1)!.offset).toBe(end);
    expect(link.receivedOffset).toBe(end);
    expect(link.deliveredOffset).toBe(end);
    // Offsets strictly increase and the first one is past the FULLRESYNC offset.
    expect(cmds[0]!.offset).toBeGreaterThan(sync.offset);
    for (let i = 1; i < cmds.length; i++) expect(cmds[i]!.offset).toBeGreaterThan(cmds[i - 1]!.offset);
    // The periodic ACK reports the offset to the master.
    await waitFor(() => replicaOnline(c, end), 5000, `INFO slave0 offset=${end}`);
    await reader.return();
  });
});

describe('ReplicaLink: full sync, diskless ($EOF:<mark>)', () => {
  let master: RedisServer;
  let c: Redis;
  beforeAll(async () => {
    master = await RedisServer.start({ config: { 'repl-diskless-sync': 'yes', 'repl-diskless-sync-delay': 0 } });
    c = master.client();
    await seed(c);
  });
  afterAll(async () => {
    c?.disconnect();
    await master?.stop();
  });

  it('delivers an intact RDB (magic, EOF opcode, CRC-64 trailer) without the end mark, then the stream', async () => {
    const link = newLink(master);
    const sync = await link.connect();
    expect(sync.mode).toBe('full');
    const rdb = await withTimeout(collectRdb(link), 20_000, 'RDB');
    expect(link.rdbInfo).toEqual({ kind: 'diskless', size: rdb.length });
    expect(rdb.subarray(0, 9).toString()).toBe('REDIS0010');
    expect(rdb[rdb.length - 9]).toBe(0xff);
    expect(crc64(rdb.subarray(0, rdb.length - 8))).toBe(rdb.readBigUInt64LE(rdb.length - 8));
    expect(rdb.length).toBeGreaterThan(2 * 1024 * 1024);

    // The ACK right after the mark puts us online, then the stream flows.
    await waitFor(() => replicaOnline(c), 5000, 'replica online');
    const reader = new CommandReader(link);
    const expected = await writeKnown(c, 'eof');
    const end = await masterReplOffset(c);
    const cmds = await reader.until(end);
    expect(dataCommands(cmds)).toEqual(['SELECT 0', ...expected]);
    expect(link.receivedOffset).toBe(end);
    await reader.return();
  });

  it('waits through repl-diskless-sync-delay: keepalive newlines keep the PSYNC wait alive past the connect timeout', async () => {
    await c.call('CONFIG', 'SET', 'repl-diskless-sync-delay', '3');
    try {
      const link = newLink(master, { connectTimeoutMs: 1500 });
      const t0 = Date.now();
      const sync = await link.connect(); // +FULLRESYNC comes only when the delayed BGSAVE starts
      expect(Date.now() - t0).toBeGreaterThan(1500);
      expect(sync.mode).toBe('full');
      const rdb = await withTimeout(collectRdb(link), 20_000, 'RDB');
      expect(crc64(rdb.subarray(0, rdb.length - 8))).toBe(rdb.readBigUInt64LE(rdb.length - 8));
    } finally {
      await c.call('CONFIG', 'SET', 'repl-diskless-sync-delay', '0');
    }
  });

  it('answers REPLCONF GETACK at once: WAIT 1 1000 returns 1 with periodic ACKs disabled and no consumer reading', async () => {
    const link = newLink(master, { ackIntervalMs: 600_000 });
    await link.connect();
    await withTimeout(collectRdb(link), 20_000, 'RDB');
    await waitFor(() => replicaOnline(c), 5000, 'replica online');
    await new Promise((r) => setTimeout(r, 2500)); // past the ACKs that follow a diskless RDB
    const acked = link.ackedOffset;
    await c.set('wait:key', '1');
    const t0 = Date.now();
    expect(await c.call('WAIT', '1', '1000')).toBe(1);
    expect(Date.now() - t0).toBeLessThan(900);
    expect(link.ackedOffset).toBeGreaterThan(acked);
    await c.set('wait:key', '2');
    expect(await c.call('WAIT', '1', '1000')).toBe(1);

    // The GETACKs are in the stream too, counted in the offsets.
    const reader = new CommandReader(link);
    const end = await masterReplOffset(c);
    const cmds = await reader.until(end);
    const getacks = cmds.filter((x) => x.argv.map(String).join(' ') === 'REPLCONF GETACK *');
    expect(getacks.length).toBeGreaterThanOrEqual(2);
    expect(getacks.every((x) => isReplicationControl(x.argv))).toBe(true);
    expect(dataCommands(cmds)).toEqual(['SELECT 0', 'SET wait:key 1', 'SET wait:key 2']);
    await reader.return();
  });
});

describe('ReplicaLink: partial resync after CLIENT KILL TYPE replica', () => {
  let master: RedisServer;
  let c: Redis;
  beforeAll(async () => {
    master = await RedisServer.start({ config: { 'repl-diskless-sync-delay': 0 } });
    c = master.client();
  });
  afterAll(async () => {
    c?.disconnect();
    await master?.stop();
  });

  it('resumes with PSYNC <replid> <offset+1>, +CONTINUE, and no gap or duplicate', async () => {
    const link1 = newLink(master);
    const sync1 = await link1.connect();
    expect(sync1.mode).toBe('full');
    const reader1 = new CommandReader(link1); // skips the RDB
    const N = 4000;
    const writer = (async () => {
      const w = master.client();
      try {
        for (let i = 0; i < N; i += 50) {
          const p = w.pipeline();
          for (let j = i; j < i + 50; j++) p.set(`seq:${j}`, String(j));
          await p.exec();
          await new Promise((r) => setTimeout(r, 5)); // keep writing while the link is killed and resumed
        }
      } finally {
        w.disconnect();
      }
    })();

    while (dataCommands(reader1.all).length < 500) await reader1.next();
    expect(await c.call('CLIENT', 'KILL', 'TYPE', 'replica')).toBeGreaterThanOrEqual(1);
    let broken: unknown;
    try {
      for (;;) await reader1.next();
    } catch (err) {
      broken = err;
    }
    expect(broken).toBeInstanceOf(LinkError);
    expect((broken as LinkError).code).toBe('LINK_BROKEN');
    expect((broken as LinkError).retryable).toBe(true);
    expect((broken as LinkError).message).toContain(`127.0.0.1:${master.port}`);
    const last = reader1.all.at(-1)!.offset;
    expect(link1.canResume).toBe(true);

    const link2 = newLink(master, { resume: { replid: link1.replid!, offset: last } });
    const sync2 = await link2.connect();
    expect(sync2).toEqual({ mode: 'partial', replid: link1.replid, offset: last });
    for await (const chunk of link2.rdb()) throw new Error(`unexpected RDB bytes after +CONTINUE: ${chunk.length}`);

    await writer;
    const end = await masterReplOffset(c);
    const reader2 = new CommandReader(link2);
    const cmds2 = await reader2.until(end);
    expect(cmds2[0]!.offset).toBeGreaterThan(last);

    const seqs1 = dataCommands(reader1.all).filter((s) => s.startsWith('SET seq:'));
    const seqs2 = dataCommands(cmds2).filter((s) => s.startsWith('SET seq:'));
    expect(seqs1.length).toBeLessThan(N);
    expect(seqs2.length).toBeGreaterThan(0);
    const seqs = [...seqs1, ...seqs2];
    expect(seqs).toEqual(Array.from({ length: N }, (_, i) => `SET seq:${i} ${i}`));
    expect(master.log()).toMatch(/Partial resynchronization request from .* accepted/);
    await reader2.return();
  });
});

describe('ReplicaLink: resume on a promoted replica (failover) adopts the new replid', () => {
  let a: RedisServer;
  let b: RedisServer;
  let ca: Redis;
  let cb: Redis;
  beforeAll(async () => {
    [a, b] = await Promise.all([
      RedisServer.start({ config: { 'repl-diskless-sync-delay': 0 } }),
      RedisServer.start({ config: { 'repl-diskless-sync-delay': 0 } }),
    ]);
    ca = a.client();
    cb = b.client();
  });
  afterAll(async () => {
    ca?.disconnect();
    cb?.disconnect();
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it('PSYNC <old replid> <offset+1> to the promoted replica gets +CONTINUE <new replid>', async () => {
    await cb.call('REPLICAOF', '127.0.0.1', String(a.port));
    await waitFor(async () => (await infoReplication(cb)).master_link_status === 'up', 10_000, 'B replicating A');
    const link1 = newLink(a);
    const sync1 = await link1.connect();
    const reader1 = new CommandReader(link1);
    await ca.set('before-failover', '1');
    const end = await masterReplOffset(ca);
    expect(dataCommands(await reader1.until(end))).toContain('SET before-failover 1');
    await reader1.return();
    await link1.close();
    await waitFor(async () => Number((await infoReplication(cb)).master_repl_offset) >= end, 10_000, 'B caught up');

    await cb.call('REPLICAOF', 'NO', 'ONE');
    const infoB = await infoReplication(cb);
    expect(infoB.master_replid).not.toBe(sync1.replid);
    expect(infoB.master_replid2).toBe(sync1.replid);

    const link2 = newLink(b, { resume: { replid: sync1.replid!, offset: end } });
    const sync2 = await link2.connect();
    expect(sync2).toEqual({ mode: 'partial', replid: infoB.master_replid, offset: end });
    expect(link2.replid).toBe(infoB.master_replid);
    const reader2 = new CommandReader(link2);
    await cb.set('after-failover', '2');
    const endB = await masterReplOffset(cb);
    const cmds = await reader2.until(endB);
    expect(dataCommands(cmds).filter((x) => x.startsWith('SET'))).toEqual(['SET after-failover 2']);
    expect(b.log()).toMatch(/Partial resynchronization request from .* accepted/);
    await reader2.return();
  });
});

describe('ReplicaLink: a slow consumer under a small replica output-buffer limit', () => {
  let master: RedisServer;
  let c: Redis;
  const VALUE = Buffer.alloc(1000, 'v');
  const BURST = 40_000; // about 40 MB of stream

  beforeAll(async () => {
    master = await RedisServer.start({ config: { 'repl-diskless-sync-delay': 0 } });
    c = master.client();
    await c.call('CONFIG', 'SET', 'client-output-buffer-limit', `replica ${1024 * 1024} ${512 * 1024} 5`);
  });
  afterAll(async () => {
    c?.disconnect();
    await master?.stop();
  });

  async function burst(prefix: string): Promise<void> {
    const w = master.client();
    try {
      for (let i = 0; i < BURST; i += 1000) {
        const p = w.pipeline();
        for (let j = i; j < i + 1000; j++) p.set(`${prefix}:${j}`, VALUE);
        await p.exec();
      }
    } finally {
      w.disconnect();
    }
  }

  it('control: a replica that stops reading is dropped by the master under the same burst', async () => {
    const sock = net.connect(master.port, '127.0.0.1');
    await new Promise((r) => sock.once('connect', r));
    let seen = '';
    sock.on('data', (d: Buffer) => {
      seen += d.toString('latin1', 0, Math.min(d.length, 200));
    });
    try {
      sock.write('PING\r\nREPLCONF capa eof capa psync2\r\n');
      await waitFor(() => seen.includes('+OK'), 5000, 'handshake replies');
      sock.write('PSYNC ? -1\r\n'); // Redis refuses PSYNC with replies still pending
      await waitFor(() => seen.includes('+FULLRESYNC'), 5000, '+FULLRESYNC');
      await new Promise((r) => setTimeout(r, 500)); // the small RDB lands in the socket buffer
      sock.write('REPLCONF ACK 0\r\n');
      sock.pause();
      await burst('ctl');
      await waitFor(() => /overcoming of output buffer limits/.test(master.log()), 10_000, 'the master to drop the stalled replica');
    } finally {
      sock.destroy();
    }
    await waitFor(async () => (await infoReplication(c)).connected_slaves === '0', 5000, 'no replica left');
  });

  it('spools to disk instead: the link survives and every command arrives afterwards, in order', async () => {
    const logBefore = master.log().length;
    const link = newLink(master, { memoryBudgetBytes: 256 * 1024 });
    await link.connect();
    await withTimeout(collectRdb(link), 20_000, 'RDB');
    // Streaming has started (the master's buffering before that is not what this test is about).
    await c.set('slow:start', '1');
    const started = await masterReplOffset(c);
    await waitFor(() => link.receivedOffset === started, 5000, 'the stream to start');

    await burst('slow'); // nobody reads the link meanwhile
    await new Promise((r) => setTimeout(r, 6000)); // past the soft limit's 5 seconds
    expect(master.log().slice(logBefore)).not.toMatch(/overcoming of output buffer limits|Connection with replica .* lost/);
    expect(link.state).toBe('stream');
    expect(link.error).toBeNull();
    const info = await infoReplication(c);
    expect(info.connected_slaves).toBe('1');
    const end = await masterReplOffset(c);
    expect(link.receivedOffset).toBe(end);
    const stats = link.spoolStats();
    expect(stats.spilledBytes).toBeGreaterThan(30 * 1024 * 1024);
    expect(stats.peakMemoryBytes).toBeLessThanOrEqual(256 * 1024);
    expect(stats.filesOpen).toBeGreaterThan(0);

    const reader = new CommandReader(link);
    const cmds = await reader.until(end, 60_000);
    const sets = dataCommands(cmds).filter((s) => s.startsWith('SET slow:') && s !== 'SET slow:start 1');
    expect(sets).toHaveLength(BURST);
    expect(sets.every((s, i) => s === `SET slow:${i} ${VALUE.toString()}`)).toBe(true);
    expect(link.spoolStats().filesOpen).toBe(0);
    await reader.return();
  }, 120_000);

  it('past the spool\'s disk bound the link fails with SPOOL_FULL, after delivering every byte before it', async () => {
    const link = newLink(master, { memoryBudgetBytes: 64 * 1024, maxSpoolBytes: 2 * 1024 * 1024 });
    await link.connect();
    await withTimeout(collectRdb(link), 20_000, 'RDB');
    await c.set('full:start', '1');
    const started = await masterReplOffset(c);
    await waitFor(() => link.receivedOffset === started, 5000, 'the stream to start');
    const w = master.client();
    try {
      const p = w.pipeline();
      for (let j = 0; j < 5000; j++) p.set(`full:${j}`, VALUE); // about 5 MB, nobody reading
      await p.exec();
    } finally {
      w.disconnect();
    }
    await waitFor(() => link.state === 'failed', 10_000, 'the link to fail');
    expect(link.error?.code).toBe('SPOOL_FULL');
    const reader = new CommandReader(link);
    let err: unknown;
    try {
      for (;;) await reader.next(5000);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LinkError);
    expect((err as LinkError).code).toBe('SPOOL_FULL');
    expect((err as LinkError).message).toMatch(/disk limit of 2\.0 MB/);
    // What arrived before the limit is intact and in order.
    const sets = dataCommands(reader.all).filter((x) => x.startsWith('SET full:') && x !== 'SET full:start 1');
    expect(sets.length).toBeGreaterThan(1000);
    expect(sets.length).toBeLessThan(5000);
    expect(sets.every((x, i) => x === `SET full:${i} ${VALUE.toString()}`)).toBe(true);
    expect(link.spoolStats().filesOpen).toBe(0);
  });
});
