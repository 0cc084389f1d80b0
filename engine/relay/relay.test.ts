/**
 * Replication relay (issue 20) against real servers: the destination replicates the source
 * through the CLI's engine. Full + incremental under a write load, a broken source link healed by
 * partial resync (the source counts it), the CLI killed -9 and started again (the destination's
 * own offset is the checkpoint: partial resync, no second full sync), End detaches the
 * destination (a master again, its masterauth and repl-diskless-load given back; it loaded the
 * snapshot as it arrived); a full-only task ends by itself; what cannot be relayed is refused before
 * anything changes (a real cluster destination among it: its nodes refuse REPLICAOF); a stalled
 * destination under small writes stays equal (the relay's reused read buffer); a throttled task's
 * snapshot and stream go no faster than its limits, which can be changed while it runs.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { parseRedisUrl } from '../endpoint';
import { detachRelayedDestination } from './detach';
import { ReplicationRelay } from './relay-server';
import { RelayTask } from './relay-task';
import type { SyncOptions } from '../sync/types';
import type Redis from 'ioredis';
import { clusterSide, closeSide, compareKeyByKey } from '../testing/compare';
import { errorLine, jsonEvents, runCli, spawnCli, type CliProcess } from '../cli/testing/run-cli';
import { infoReplication } from '../testing/redis-info';
import { freePort, RedisCluster, RedisServer } from '../testing/redis-server';
import { makeTlsFiles, tlsServerConfig } from '../testing/tls-certificates';
import { sleep, waitFor } from '../testing/wait';
import { startWriteLoad } from '../verify/testing/write-load';

const servers: RedisServer[] = [];
const clients: Redis[] = [];
const clis: CliProcess[] = [];
afterEach(async () => {
  for (const p of clis.splice(0)) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  for (const c of clients.splice(0)) c.disconnect();
  for (const s of servers.splice(0)) await s.stop();
});

async function server(): Promise<{ s: RedisServer; c: Redis }> {
  const s = await RedisServer.start({ config: { 'repl-backlog-size': '64mb' } });
  servers.push(s);
  const c = s.client();
  clients.push(c);
  return { s, c };
}

async function stats(c: Redis): Promise<{ full: number; partial: number }> {
  const text = String(await c.info('stats'));
  const field = (n: string) => Number(new RegExp(`^${n}:(\\d+)`, 'm').exec(text)?.[1] ?? 0);
  return { full: field('sync_full'), partial: field('sync_partial_ok') };
}

async function inSync(src: Redis, dst: Redis): Promise<boolean> {
  const [m, r] = [await infoReplication(src), await infoReplication(dst)];
  return r.master_link_status === 'up' && r.slave_repl_offset === m.master_repl_offset;
}

/** A relayed task in this process, from `src` into `dst`, with its log lines gathered. */
function relayTask(taskId: string, src: RedisServer, dst: RedisServer, opts: Partial<SyncOptions> = {}): { task: RelayTask; running: Promise<void>; logs: string[] } {
  const task = new RelayTask({ taskId, source: parseRedisUrl(src.url), target: parseRedisUrl(dst.url), writeMethod: 'relay', ...opts });
  const logs: string[] = [];
  task.on('log', (_level, message) => logs.push(message));
  return { task, running: task.run(), logs };
}

async function seedStrings(c: Redis, n: number): Promise<void> {
  const seed = c.pipeline();
  for (let i = 0; i < n; i++) seed.set(`seed:${i}`, `v${i}`);
  await seed.exec();
}

function relay(src: RedisServer, dst: RedisServer, extra: string[] = []): CliProcess {
  const p = spawnCli(['--source', `redis://127.0.0.1:${src.port}`, '--target', `redis://127.0.0.1:${dst.port}`, '--write', 'relay', '--json', ...extra], { direct: true });
  clis.push(p);
  return p;
}

describe('npm run sync -- --write relay', () => {
  it('replicates through the engine under load: a broken link and a killed CLI resume by partial resync; End detaches; equal', async () => {
    const { s: source, c: src } = await server();
    const { s: target, c: dst } = await server();
    const seed = src.pipeline();
    for (let i = 0; i < 20_000; i++) seed.set(`seed:${i}`, `v${i}`);
    for (let i = 0; i < 200; i++) seed.hset(`h:${i}`, 'a', i, 'b', 'x').rpush(`l:${i}`, 'p', 'q').zadd(`z:${i}`, i, 'm').pexpire(`h:${i}`, 3_600_000);
    seed.select(3).set('in-db3', 'yes').select(0);
    await seed.exec();
    await dst.config('SET', 'masterauth', 'kept-by-the-user');
    const load = startWriteLoad(src, { seed: 5 });

    let cli = relay(source, target);
    await waitFor(async () => (await infoReplication(dst)).master_link_status === 'up', 30_000, () => `the destination never linked up:\n${cli.stderr()}`);
    expect((await infoReplication(dst)).role).toBe('slave');
    expect(await stats(src)).toMatchObject({ full: 1 });
    // The empty destination loaded the snapshot as it arrived, not from a copy on its disk.
    expect(await dst.config('GET', 'repl-diskless-load')).toEqual(['repl-diskless-load', 'on-empty-db']);
    expect(target.log()).toMatch(/MASTER <-> REPLICA sync: receiving .*from master (with EOF )?to parser/);
    expect(cli.stdout()).toContain('loads the snapshot as it arrives (repl-diskless-load on-empty-db until then)');

    // The source drops the relay's connection: the destination asks again, through the engine, from its offset.
    await src.client('KILL', 'TYPE', 'replica');
    await waitFor(async () => (await stats(src)).partial >= 1 && (await infoReplication(dst)).master_link_status === 'up', 30_000, 'a partial resync after the broken link');

    // The engine dies: the destination keeps its offset; the next run takes it over.
    cli.child.kill('SIGKILL');
    await cli.exited;
    cli = relay(source, target);
    await waitFor(async () => (await stats(src)).partial >= 2 && (await infoReplication(dst)).master_link_status === 'up', 30_000, () => `a partial resync after the engine was killed:\n${cli.stdout()}`);
    expect(cli.stdout()).toContain('taken over');

    await load.stop();
    await waitFor(() => inSync(src, dst), 30_000, 'the destination catches up with the source');
    expect(await stats(src)).toMatchObject({ full: 1 }); // never a second full sync
    await waitFor(() => jsonEvents(cli.stdout()).some((e) => e.type === 'checkpoint'), 10_000, 'a checkpoint event (the acknowledged offset)');

    // A write just before End is on the destination after it: End waits for its acknowledgement.
    await src.set('written-just-before-end', 'yes');
    cli.child.kill('SIGTERM');
    const end = await cli.exited;
    expect(end.stdout).toMatch(/it holds every write made before the End/);
    expect(end.code, end.stderr).toBe(0);
    const repl = await infoReplication(dst);
    expect(repl.role).toBe('master');
    expect(await dst.config('GET', 'masterauth')).toEqual(['masterauth', 'kept-by-the-user']);
    expect(await dst.config('GET', 'repl-diskless-load')).toEqual(['repl-diskless-load', 'disabled']);
    // As a native replica holds them: stream groups' entries-read, lag and seen-time are the replica's own.
    expect(await compareKeyByKey(src, dst, [0, 3], { replicaMetadata: true })).toEqual([]);
    expect(await dst.dbsize()).toBeGreaterThan(20_000);
  });

  it('--type full ends by itself once the destination holds the snapshot, and leaves it a master', async () => {
    const { s: source, c: src } = await server();
    const { s: target, c: dst } = await server();
    const seed = src.pipeline();
    for (let i = 0; i < 5_000; i++) seed.set(`k:${i}`, `v${i}`);
    await seed.exec();
    const r = await runCli(['--source', `redis://127.0.0.1:${source.port}`, '--target', `redis://127.0.0.1:${target.port}`, '--write', 'relay', '--type', 'full', '--json'], 60_000);
    expect(r.code, r.stderr).toBe(0);
    const events = jsonEvents(r.stdout);
    // The keys counted while the snapshot passed through the engine.
    expect(events.find((e) => e.type === 'done')).toMatchObject({ stage: 'completed', keys: 5_000 });
    expect(events.some((e) => e.type === 'progress' && e.stage === 'incremental' && e.delayMs === 0)).toBe(true);
    expect((await infoReplication(dst)).role).toBe('master');
    expect(await compareKeyByKey(src, dst)).toEqual([]);
  });

  it('refuses what it cannot relay before anything changes: a filter, a destination holding keys, a destination that refuses REPLICAOF, a port taken, a password missing', async () => {
    const { s: source, c: src } = await server();
    const { s: target, c: dst } = await server();
    await src.set('a', '1');
    const args = ['--source', `redis://127.0.0.1:${source.port}`, '--target', `redis://127.0.0.1:${target.port}`, '--write', 'relay'];

    const filtered = await runCli([...args, '--key-prefix', 'a']);
    expect(filtered.code).toBe(1);
    expect(filtered.stderr).toMatch(/cannot filter by prefix.*--write commands/);

    await dst.set('mine', 'x');
    const full = await runCli(args);
    expect(full.code).toBe(1);
    expect(full.stderr).toMatch(/The destination holds 1 keys; a relayed task replaces the destination's whole dataset/);
    expect((await infoReplication(dst)).role).toBe('master');
    expect(await dst.get('mine')).toBe('x');

    await dst.del('mine');
    await dst.call('ACL', 'SETUSER', 'default', '-replicaof');
    const refused = await runCli(args);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/the destination refused REPLICAOF/);
    expect((await infoReplication(dst)).role).toBe('master');
    await dst.call('ACL', 'SETUSER', 'default', '+replicaof');

    // The relay's port taken by another program: said so, and the destination untouched.
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const takenPort = (taken.address() as net.AddressInfo).port;
    try {
      const busy = await runCli([...args, '--relay-listen', `127.0.0.1:${takenPort}`]);
      expect(busy.code).toBe(1);
      expect(errorLine(busy)).toBe(`error: the relay cannot listen on 127.0.0.1:${takenPort}: another program already listens on that port `
        + '(choose another address or port with --relay-listen host:port (the console: DTS_RELAY_LISTEN), or leave the port out for a free one)');
      expect((await infoReplication(dst)).role).toBe('master');
    } finally {
      taken.close();
    }

    // A destination that wants a password none was given for: said so (not "INFO server has no redis_version line").
    await dst.config('SET', 'requirepass', 'secret-of-the-destination');
    try {
      const noPassword = await runCli(args);
      expect(noPassword.code).toBe(1);
      expect(errorLine(noPassword)).toMatch(new RegExp(`^error: the destination 127\\.0\\.0\\.1:${target.port} requires a password and none was given`));
    } finally {
      await dst.call('AUTH', 'secret-of-the-destination');
      await dst.config('SET', 'requirepass', '');
    }
  });

  it('--precheck --write relay adds the Replication relay item: passed for an empty destination, failed naming CONFIG where it is refused', async () => {
    const { s: source, c: src } = await server();
    const { s: target, c: dst } = await server();
    await src.set('a', '1');
    const args = ['--precheck', '--json', '--source', `redis://127.0.0.1:${source.port}`, '--target', `redis://127.0.0.1:${target.port}`, '--write', 'relay'];
    const item = async () => {
      const r = await runCli(args);
      const results = (JSON.parse(r.stdout) as { results: { id: string; status: string; reason: string; fix?: string }[] }).results;
      return results.find((x) => x.id === 'relay-possible');
    };
    expect(await item()).toMatchObject({ status: 'passed' });
    const plain = await runCli(args.filter((a) => a !== '--write' && a !== 'relay'));
    expect(plain.stdout).not.toContain('relay-possible');

    await dst.call('ACL', 'SETUSER', 'default', '-config');
    expect(await item()).toMatchObject({ status: 'failed', reason: expect.stringMatching(/refuses CONFIG/), fix: expect.stringMatching(/Commands write method/) });
  });

  it('TLS on the source side only: the engine reads the source over TLS and relays in plain TCP on loopback; equal', async () => {
    const files = makeTlsFiles();
    try {
      const tlsPort = await freePort();
      const source = await RedisServer.start({ config: { ...tlsServerConfig(files, tlsPort), 'repl-backlog-size': '64mb' } });
      servers.push(source);
      const src = source.client();
      clients.push(src);
      const { s: target, c: dst } = await server();
      const seed = src.pipeline();
      for (let i = 0; i < 3_000; i++) seed.set(`t:${i}`, `v${i}`).hset(`th:${i % 50}`, `f${i}`, i);
      await seed.exec();
      const cli = spawnCli(['--source', `rediss://127.0.0.1:${tlsPort}`, '--tls-ca', files.cert, '--target', `redis://127.0.0.1:${target.port}`,
        '--write', 'relay', '--json'], { direct: true });
      clis.push(cli);
      await waitFor(async () => (await infoReplication(dst)).master_link_status === 'up', 30_000, () => `the destination never linked up:\n${cli.stderr()}`);
      // The engine's connection to the source is the TLS one: the plain port has no replica on it.
      expect(String(await src.call('CLIENT', 'LIST', 'TYPE', 'replica'))).toContain(`laddr=127.0.0.1:${tlsPort}`);
      for (let i = 0; i < 500; i++) await src.incr('after-link');
      await waitFor(() => inSync(src, dst), 30_000, 'the destination catches up');
      cli.child.kill('SIGTERM');
      expect((await cli.exited).code).toBe(0);
      expect(await compareKeyByKey(src, dst)).toEqual([]);
      expect(await dst.get('after-link')).toBe('500');
    } finally {
      files.cleanup();
    }
  });

  it('--write auto relays where it can, and keeps a task whose filter needs rewriting on Commands, saying why', async () => {
    const { s: source, c: src } = await server();
    const { s: target, c: dst } = await server();
    await src.mset('keep:1', 'a', 'keep:2', 'b', 'drop:1', 'c');
    const args = ['--source', `redis://127.0.0.1:${source.port}`, '--target', `redis://127.0.0.1:${target.port}`, '--write', 'auto', '--type', 'full'];
    const filtered = await runCli([...args, '--key-prefix', 'keep:'], 60_000);
    expect(filtered.code, filtered.stderr).toBe(0);
    expect(filtered.stderr).toContain('Replication relay copies every key: it cannot filter by prefix: the task writes with commands');
    expect((await dst.keys('*')).sort()).toEqual(['keep:1', 'keep:2']);

    // Only DB 0 asked for while DB 3 holds keys too: a relay would copy it, so commands it is.
    await dst.flushall();
    await src.select(3);
    await src.set('elsewhere', '1');
    await src.select(0);
    const someDbs = await runCli([...args, '--db', '0'], 60_000);
    expect(someDbs.code, someDbs.stderr).toBe(0);
    expect(someDbs.stderr).toContain('The source also holds keys in DB 3, which a relay copies too (it copies every DB): the task writes with commands');

    await dst.flushall();
    const relayed = await runCli(args, 60_000);
    expect(relayed.code, relayed.stderr).toBe(0);
    expect(relayed.stderr).toContain('the task relays');
    expect(await compareKeyByKey(src, dst, [0, 3])).toEqual([]);
    expect((await infoReplication(dst)).role).toBe('master');
  });

  it('a cluster destination cannot be relayed to: --write relay fails saying why, the precheck item says so, --write auto writes with commands', async () => {
    const { s: source, c: src } = await server();
    const cluster = await RedisCluster.start(3);
    try {
      for (let i = 0; i < 300; i++) await src.set(`c:${i}`, `v${i}`);
      const node = cluster.nodes[0]!;
      const dst = node.client();
      clients.push(dst);
      // What the servers themselves say: the reason the relay gives is theirs.
      await expect(dst.call('REPLICAOF', '127.0.0.1', String(source.port))).rejects.toThrow(/REPLICAOF not allowed in cluster mode/);
      const args = ['--source', `redis://127.0.0.1:${source.port}`, '--target', `redis://127.0.0.1:${node.port}`];
      const why = /The destination runs in cluster mode, and a cluster node refuses REPLICAOF \("REPLICAOF not allowed in cluster mode"\), so it cannot replicate the source through the relay/;

      const relayed = await runCli([...args, '--write', 'relay']);
      expect(relayed.code).toBe(1);
      expect(relayed.stderr).toMatch(why);
      expect(relayed.stderr).toMatch(/Commands write method/);
      expect((await infoReplication(dst)).role).toBe('master');
      expect(String(await dst.call('CLUSTER', 'INFO'))).toContain('cluster_state:ok');

      const precheck = await runCli(['--precheck', '--json', ...args, '--write', 'relay']);
      const item = (JSON.parse(precheck.stdout) as { results: { id: string; status: string; reason: string; fix?: string }[] }).results.find((x) => x.id === 'relay-possible');
      expect(item).toMatchObject({ status: 'failed', reason: expect.stringMatching(why), fix: expect.stringMatching(/Commands write method/) });

      const auto = await runCli([...args, '--write', 'auto', '--type', 'full'], 60_000);
      expect(auto.code, auto.stderr).toBe(0);
      expect(auto.stderr).toMatch(new RegExp(`${why.source}: the task writes with commands`));
      const side = await clusterSide(cluster.nodes.map((n) => n.port));
      try {
        expect(await compareKeyByKey(src, side)).toEqual([]);
      } finally {
        closeSide(side);
      }
    } finally {
      await cluster.stop();
    }
  });

  it('the relay port serves no one without the password: PSYNC before AUTH and a wrong password are refused', async () => {
    const { s: source } = await server();
    const relay = new ReplicationRelay({ source: parseRedisUrl(source.url) });
    const port = await relay.listen();
    try {
      const socket = net.connect(port, '127.0.0.1');
      let got = '';
      socket.on('data', (d: Buffer) => (got += d.toString('latin1')));
      socket.write('PSYNC ? -1\r\nAUTH wrong-password\r\nPSYNC ? -1\r\n');
      await waitFor(() => got.split('\r\n').length >= 4, 5_000, () => `three answers, got ${JSON.stringify(got)}`);
      expect(got.split('\r\n').slice(0, 3)).toEqual([
        '-NOAUTH Authentication required.', '-WRONGPASS invalid username-password pair or user is disabled.', '-NOAUTH Authentication required.',
      ]);
      expect(relay.progress.fullSyncs).toBe(0);
      socket.destroy();
    } finally {
      await relay.close();
    }
  });

  it('a destination left pointing at a dead engine is detached on release: a master again, with its own masterauth and repl-diskless-load', async () => {
    const { s: source, c: src } = await server();
    const { s: target, c: dst } = await server();
    await src.set('a', '1');
    await dst.config('SET', 'masterauth', 'the-users-own');
    const cli = relay(source, target);
    await waitFor(async () => (await infoReplication(dst)).master_link_status === 'up', 30_000, () => `linked up:\n${cli.stderr()}`);
    cli.child.kill('SIGKILL');
    await cli.exited;
    expect((await infoReplication(dst)).role).toBe('slave');
    expect(await detachRelayedDestination(parseRedisUrl(target.url))).toBe(true);
    expect((await infoReplication(dst)).role).toBe('master');
    expect(await dst.config('GET', 'masterauth')).toEqual(['masterauth', 'the-users-own']);
    expect(await dst.config('GET', 'repl-diskless-load')).toEqual(['repl-diskless-load', 'disabled']);
    expect(await dst.get('a')).toBe('1');
    // Not ours (any more): left alone.
    expect(await detachRelayedDestination(parseRedisUrl(target.url))).toBe(false);
  });

  it('Pause holds the source\'s stream back and Resume passes it on: the destination gets the writes made meanwhile', async () => {
    const { s: source, c: src } = await server();
    const { s: target, c: dst } = await server();
    const { task, running } = relayTask('pausing', source, target);
    try {
      await waitFor(async () => (await infoReplication(dst)).master_link_status === 'up' && task.progress.stage === 'incremental', 30_000, 'linked up');
      await task.pause();
      expect(task.progress.stage).toBe('paused');
      await src.set('while-paused', '1');
      await sleep(1_500);
      expect(await dst.get('while-paused')).toBeNull();
      task.resume();
      await waitFor(async () => (await dst.get('while-paused')) === '1', 10_000, 'the write made while paused');
    } finally {
      await task.stop();
      await running;
    }
    expect((await infoReplication(dst)).role).toBe('master');
  });

  it('a destination that stalls while the source writes: the relay\'s reused read buffer is never overwritten under a chunk still queued; equal', async () => {
    const { s: source, c: src } = await server();
    const { s: target, c: dst } = await server();
    const { task, running } = relayTask('stalling', source, target);
    try {
      await waitFor(async () => (await infoReplication(dst)).master_link_status === 'up' && task.progress.stage === 'incremental', 30_000, 'linked up');
      // The destination sleeps: the kernel's buffers towards it fill, and the relay's writes queue up.
      const sleeper = target.client();
      clients.push(sleeper);
      const asleep = sleeper.call('DEBUG', 'SLEEP', '3');
      await sleep(100);
      // One 8 KB write at a time: each reaches the relay as a chunk below its socket's high-water mark, so
      // once the kernel's buffers are full the relay goes on reading while a chunk still waits to be sent.
      for (let i = 0; i < 2_500; i++) await src.set(`big:${i}`, `${i}:`.padEnd(8192, String.fromCharCode(97 + (i % 26))));
      for (let i = 0; i < 300; i++) await src.incr('one-by-one');
      await asleep;
      await waitFor(() => inSync(src, dst), 30_000, 'the destination catches up');
      expect(await compareKeyByKey(src, dst)).toEqual([]);
      expect(await dst.dbsize()).toBe(2_501);
      expect(await dst.get('one-by-one')).toBe('300');
    } finally {
      await task.stop();
      await running;
    }
  });

  it('a throttled task: the snapshot goes at its keys per second, the stream at its bytes per second, new limits apply at once, End waits for what the throttle holds; equal', async () => {
    const { s: source, c: src } = await server();
    const { s: target, c: dst } = await server();
    await seedStrings(src, 20_000);
    const { task, running, logs } = relayTask('throttled', source, target, { throttle: { full: { rps: 5_000 }, incremental: { bytesPerSecond: 100_000 } } });
    try {
      await waitFor(() => logs.some((l) => l.includes('sends the destination a full snapshot')), 30_000, 'the snapshot begins');
      const snapshotStart = Date.now();
      await waitFor(async () => (await infoReplication(dst)).master_link_status === 'up', 30_000, 'linked up');
      // 20,000 keys at 5,000 a second, a second's worth at once: 3 s (unthrottled, this snapshot takes some 10 ms).
      expect(Date.now() - snapshotStart).toBeGreaterThanOrEqual(2_200);
      expect(logs).toContain('throttled: the snapshot 5000 keys/s, the stream 0.1 MB/s; the source holds what waits, as it does for a slow replica');

      // 1 MB of writes at 100 KB a second: after a second the destination is still well behind.
      const value = 'x'.repeat(8_192);
      const writes = src.pipeline();
      for (let i = 0; i < 125; i++) writes.set(`big:${i}`, value);
      await writes.exec();
      const target1 = Number((await infoReplication(src)).master_repl_offset);
      await sleep(1_000);
      expect(target1 - Number((await infoReplication(dst)).slave_repl_offset)).toBeGreaterThan(500_000);
      expect(task.progress.stage).toBe('incremental');
      // The console's rates: bytes relayed and commands the destination applied per second, held to the throttle.
      expect(task.progress.bytesPerSecond).toBeGreaterThan(0);
      expect(task.progress.bytesPerSecond).toBeLessThan(400_000);
      expect(task.progress.rps).toBeGreaterThan(0);

      task.setLimits({});
      expect(logs).toContain('new limits: the snapshot unlimited, the stream unlimited');
      await waitFor(() => inSync(src, dst), 30_000, 'the destination catches up once unlimited');

      // End while 1.2 MB wait at 100 KB a second: longer than End waits for a destination whose
      // acknowledgements stand still (10 s), and it holds everything all the same.
      task.setLimits({ throttle: { incremental: { bytesPerSecond: 100_000 } } });
      const more = src.pipeline();
      for (let i = 0; i < 150; i++) more.set(`more:${i}`, value);
      await more.exec();
    } finally {
      await task.stop();
      await running;
    }
    expect(logs.find((l) => l.startsWith('ended with') || l.includes('it holds every write made before the End'))).toMatch(/it holds every write made before the End/);
    expect((await infoReplication(dst)).role).toBe('master');
    expect(await compareKeyByKey(src, dst)).toEqual([]);
    expect(await dst.dbsize()).toBe(20_275);
  });

  it('the destination\'s connection dropped: made again; the destination killed and restarted empty: pointed at the engine again and copied afresh; equal', async () => {
    const { s: source, c: src } = await server();
    const { s: target, c: dst } = await server();
    await seedStrings(src, 5_000);
    const { task, running, logs } = relayTask('restarted', source, target, { connectionRetryMs: 60_000 });
    let failure: unknown;
    running.catch((err: unknown) => {
      failure = err;
    });
    try {
      await waitFor(async () => (await infoReplication(dst)).master_link_status === 'up' && task.progress.stage === 'incremental', 30_000, 'linked up');
      dst.on('error', () => undefined); // the test's own client, while the destination is down
      // Its connections dropped, the server alive: the task makes its own again and goes on.
      await dst.call('CLIENT', 'KILL', 'TYPE', 'normal').catch(() => undefined);
      await waitFor(() => logs.some((l) => l.includes('is reachable again; it still replicates through the engine')), 10_000, 'the control connection made again');
      await target.kill();
      await src.set('written-while-the-destination-was-down', '1');
      await waitFor(() => task.progress.stage === 'retrying', 10_000, () => `the task retrying, it is ${task.progress.stage}`);
      expect(logs.some((l) => /^the connection to the destination 127\.0\.0\.1:\d+ broke .*reconnecting for up to 1 min; the source holds its stream meanwhile/.test(l))).toBe(true);
      await sleep(1_500);
      expect(failure).toBeUndefined();

      // Back empty, a master (it forgot REPLICAOF): pointed at the engine again, it gets a new full sync.
      await target.restart();
      await waitFor(async () => failure !== undefined || await inSync(src, dst).catch(() => false), 60_000, 'the restarted destination in sync again');
      expect(failure).toBeUndefined();
      expect(logs.some((l) => l.includes('is back as a master (it restarted and forgot REPLICAOF)'))).toBe(true);
      expect((await stats(src)).full).toBe(2);
      await waitFor(() => task.progress.stage === 'incremental', 10_000, () => `the task incremental again, it is ${task.progress.stage}`);
      expect(await dst.get('written-while-the-destination-was-down')).toBe('1');
      expect(await compareKeyByKey(src, dst)).toEqual([]);
    } finally {
      await task.stop();
      await running.catch(() => undefined);
    }
    expect(failure).toBeUndefined();
    expect((await infoReplication(dst)).role).toBe('master');
  });

  it('TLS on the destination side only: the relay listens with TLS and the destination replicates over it; its tls-replication is given back', async () => {
    const files = makeTlsFiles();
    try {
      const { s: source, c: src } = await server();
      const target = await RedisServer.start({ config: tlsServerConfig(files, await freePort()) });
      servers.push(target);
      const dst = target.client();
      clients.push(dst);
      for (let i = 0; i < 2_000; i++) await src.set(`k:${i}`, `v${i}`);
      const cli = relay(source, target, ['--relay-tls-cert', files.cert, '--relay-tls-key', files.key]);
      await waitFor(async () => (await infoReplication(dst)).master_link_status === 'up', 30_000, () => `the destination never linked up over TLS:\n${cli.stdout()}`);
      expect(await dst.config('GET', 'tls-replication')).toEqual(['tls-replication', 'yes']);
      await src.set('over-tls', 'yes');
      await waitFor(() => inSync(src, dst), 30_000, 'the destination catches up');
      cli.child.kill('SIGTERM');
      expect((await cli.exited).code).toBe(0);
      expect(await dst.config('GET', 'tls-replication')).toEqual(['tls-replication', 'no']);
      expect((await infoReplication(dst)).role).toBe('master');
      expect(await compareKeyByKey(src, dst)).toEqual([]);
    } finally {
      files.cleanup();
    }
  });
});
