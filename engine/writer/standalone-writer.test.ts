/**
 * StandaloneWriter against a real redis-server: checkpoints only after replies,
 * the rate limit, a broken connection and transient replies retried without loss
 * or duplicates, and a refused write stopping it with the reply.
 */
import type Redis from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DtsError } from '../errors';
import { ChaosProxy } from '../testing/chaos-proxy';
import { RedisServer } from '../testing/redis-server';
import { StandaloneWriter } from './standalone-writer';

let server: RedisServer;
let c: Redis;
let admin: Redis;

beforeAll(async () => {
  server = await RedisServer.start({ config: { 'busy-reply-threshold': 100 } });
  c = server.client();
  admin = server.client();
});
afterAll(async () => {
  c?.disconnect();
  admin?.disconnect();
  await server?.stop();
});
beforeEach(async () => {
  await c.flushall();
});

const RECORD_KEY = 'DTS_REDIS_CHECKPOINT_writer-test';

/** A record in DB 0 saying "at <offset> <db>" (the sync task words its own). */
function unitRecord() {
  return { db: 0, key: Buffer.from(RECORD_KEY), value: (m: { offset: number; db: number }) => `at ${m.offset} ${m.db}` };
}

function newWriter(opts: ConstructorParameters<typeof StandaloneWriter>[1] = {}) {
  const logs: string[] = [];
  const writer = new StandaloneWriter({ host: '127.0.0.1', port: server.port }, {
    connectionRetryMs: 10_000, otherRetryMs: 10_000, log: (level, message) => logs.push(`${level}: ${message}`), ...opts,
  });
  return { writer, logs };
}

/** The writer's own connections (everything but the test's clients). */
async function writerClients(): Promise<number[]> {
  const own = new Set([Number(await c.call('CLIENT', 'ID')), Number(await admin.call('CLIENT', 'ID'))]);
  const list = String(await admin.call('CLIENT', 'LIST', 'TYPE', 'normal'));
  return [...list.matchAll(/^id=(\d+) /gm)].map((m) => Number(m[1])).filter((id) => !own.has(id));
}

describe('StandaloneWriter', () => {
  it('moves the checkpoint only to marks whose writes were answered, in order, per DB', async () => {
    const { writer } = newWriter();
    await writer.open();
    expect(writer.checkpoint).toBeUndefined();
    writer.selectDb(3);
    for (let i = 1; i <= 1000; i++) await writer.write(['INCR', 'n'], i % 100 === 0 ? { offset: i, db: 0 } : undefined);
    writer.advance({ offset: 1005, db: 0 });
    await writer.flush();
    expect(writer.checkpoint).toEqual({ offset: 1005, db: 0 });
    await c.select(3);
    expect(await c.get('n')).toBe('1000');
    await c.select(0);
    writer.close();
  });

  it('keeps to the rate limit', async () => {
    const { writer } = newWriter({ rps: 200 });
    await writer.open();
    const started = performance.now();
    for (let i = 0; i < 400; i++) await writer.write(['INCR', 'n']);
    await writer.flush();
    // One second's burst, then 200 per second.
    expect(performance.now() - started).toBeGreaterThan(900);
    expect(await c.get('n')).toBe('400');
    writer.close();
  });

  it('a killed connection is reopened and what was not answered is sent again — also while rate limited', async () => {
    const replayed: string[] = [];
    const { writer, logs } = newWriter({ rps: 400, onReplayed: (keys) => replayed.push(...keys.map((k) => k.key.toString())) });
    await writer.open();
    const writing = (async () => {
      for (let i = 0; i < 600; i++) {
        writer.selectDb(i % 3);
        await writer.write(['SET', `k${i}`, String(i)]);
        await writer.write(['HSET', 'h', `f${i % 50}`, String(i)]);
      }
    })();
    for (let kill = 0; kill < 3; kill++) {
      await new Promise((r) => setTimeout(r, 350));
      for (const id of await writerClients()) await admin.call('CLIENT', 'KILL', 'ID', id);
    }
    await writing;
    await writer.flush();
    expect(logs.filter((l) => l.includes('reconnected to the destination')).length).toBeGreaterThanOrEqual(2);
    for (let i = 0; i < 600; i++) {
      await c.select(i % 3);
      expect(await c.get(`k${i}`)).toBe(String(i));
    }
    await c.select(0);
    // SET and HSET give the same result when run twice: nothing to report.
    expect(replayed).toEqual([]);
    writer.close();
  });

  it('commands that may have run already are sent again; keys where that counts twice are reported', async () => {
    const proxy = await ChaosProxy.start(server.port);
    const replayed: { db: number; key: string }[] = [];
    const writer = new StandaloneWriter({ host: '127.0.0.1', port: proxy.port }, {
      connectionRetryMs: 10_000, onReplayed: (keys) => replayed.push(...keys.map((k) => ({ db: k.db, key: k.key.toString() }))),
    });
    try {
      await writer.open();
      for (let i = 0; i < 10; i++) await writer.write(['INCR', 'n']);
      await writer.flush();
      // The destination runs the next commands, but their answers are lost with the connection.
      proxy.holdReplies();
      writer.selectDb(2);
      await writer.write(['SET', 'safe', 'v']);
      for (let i = 0; i < 50; i++) await writer.write(['INCR', 'n']);
      await writer.write(['RPUSH', 'list', 'x']);
      // These fail when run twice; the failure shows the first run got through, so it is not one.
      await writer.write(['XADD', 's', '5-1', 'f', 'v']);
      await writer.write(['XGROUP', 'CREATE', 's', 'g', '0']);
      await writer.write(['MULTI']);
      await writer.write(['XADD', 's', '6-1', 'f', 'w']);
      writer.selectDb(3);
      await writer.write(['SET', 'in-db3', '1']);
      await writer.write(['EXEC']);
      await c.select(3);
      await waitUntil(async () => (await c.get('in-db3')) === '1');
      proxy.cut();
      await writer.flush();
      await c.select(2);
      // Run twice: the known limit of resending after a broken connection. The engine says so.
      expect(await c.get('n')).toBe('100');
      expect(await c.lrange('list', 0, -1)).toEqual(['x', 'x']);
      expect(await c.get('safe')).toBe('v');
      expect(await c.xlen('s')).toBe(2);
      expect(replayed).toEqual([{ db: 2, key: 'n' }, { db: 2, key: 'list' }, { db: 2, key: 's' }]);
      // The broken connection counts as one destination error, and at least one reconnection attempt (/metrics).
      expect(writer.stats.errors).toBe(1);
      expect(writer.stats.retries).toBeGreaterThanOrEqual(1);
    } finally {
      await c.select(0);
      writer.close();
      await proxy.close();
    }
  });

  it('in units, commands whose answers were lost are applied once: the record says which unit ran', async () => {
    const proxy = await ChaosProxy.start(server.port);
    const replayed: string[] = [];
    const logs: string[] = [];
    const writer = new StandaloneWriter({ host: '127.0.0.1', port: proxy.port }, {
      connectionRetryMs: 10_000, onReplayed: (keys) => replayed.push(...keys.map((k) => k.key.toString())), log: (_, m) => logs.push(m),
    });
    try {
      await writer.open();
      writer.beginUnits(unitRecord(), { offset: 0, db: 0 });
      let offset = 0;
      for (let i = 0; i < 10; i++) await writer.write(['INCR', 'n'], { offset: ++offset, db: 0 });
      await writer.flush();
      expect(await c.get(RECORD_KEY)).toMatch(/^at 10 /);
      // A unit the destination runs, whose answers are lost with the connection.
      writer.selectDb(2);
      for (let i = 0; i < 10; i++) await writer.write(['INCR', 'n'], { offset: ++offset, db: 0 });
      await writer.write(['RPUSH', 'list', 'x'], { offset: ++offset, db: 0 });
      await writer.write(['XADD', 's', '5-1', 'f', 'v'], { offset: ++offset, db: 0 });
      // A transaction of the source stays inside the unit, SELECT included.
      await writer.write(['MULTI']);
      await writer.write(['INCR', 'm']);
      writer.selectDb(3);
      await writer.write(['SET', 'in-db3', '1']);
      writer.selectDb(2);
      await writer.write(['EXEC'], { offset: ++offset, db: 2 });
      const ran = offset;
      await writer.commitUnit(); // its EXEC is queued to go out now: hold what comes back
      proxy.holdReplies();
      await c.select(3);
      await waitUntil(async () => (await c.get('in-db3')) === '1');
      await c.select(0);
      // Then a unit left open: its commands are queued on the server, not run.
      for (let i = 0; i < 5; i++) await writer.write(['INCR', 'n'], { offset: ++offset, db: 2 });
      proxy.cut();
      await writer.flush();
      await c.select(2);
      expect(await c.get('n')).toBe('15');
      expect(await c.get('m')).toBe('1');
      expect(await c.lrange('list', 0, -1)).toEqual(['x']);
      expect(await c.xlen('s')).toBe(1);
      await c.select(0);
      expect(await c.get('n')).toBe('10');
      expect(ran).toBeLessThan(offset);
      expect(await c.get(RECORD_KEY)).toMatch(new RegExp(`^at ${offset} `));
      expect(writer.checkpoint).toEqual({ offset, db: 2 });
      expect(replayed).toEqual([]);
      // The unit ran and its answers were lost: the record, read back, said so.
      expect(logs.join('\n')).toMatch(/the destination had applied \d+ of the unanswered command\(s\), as its record says/);
    } finally {
      await c.select(0);
      writer.close();
      await proxy.close();
    }
  });

  it('in units, connections killed again and again under load apply every INCR exactly once', async () => {
    const { writer, logs } = newWriter();
    await writer.open();
    writer.beginUnits(unitRecord(), { offset: 0, db: 0 });
    const total = 30_000;
    const writing = (async () => {
      for (let i = 1; i <= total; i++) {
        await writer.write(['INCR', `n${i % 7}`], { offset: i, db: 0 });
        if (i % 300 === 0) await writer.commitUnit();
      }
      await writer.flush();
    })();
    let kills = 0;
    while (kills < 6) {
      await new Promise((r) => setTimeout(r, 40));
      for (const id of await writerClients()) await admin.call('CLIENT', 'KILL', 'ID', id);
      kills++;
    }
    await writing;
    let sum = 0;
    for (let k = 0; k < 7; k++) sum += Number(await c.get(`n${k}`));
    expect(sum).toBe(total);
    expect(await c.get(RECORD_KEY)).toMatch(new RegExp(`^at ${total} `));
    expect(logs.filter((l) => l.includes('reconnected to the destination')).length).toBeGreaterThanOrEqual(1);
    writer.close();
  });

  it('in units, runs of plain SETs go as MSETs, in order with the other commands and DB switches', async () => {
    const { writer } = newWriter();
    await writer.open();
    writer.beginUnits(unitRecord(), { offset: 0, db: 0 });
    let offset = 0;
    // As the stream hands them over: Buffers.
    const w = (argv: string[]) => writer.write(argv.map((a) => Buffer.from(a)), { offset: ++offset, db: 0 });
    await w(['SET', 'a', '1']);
    await w(['set', 'b', 'x']);
    await w(['INCR', 'a']);
    await w(['SET', 'a', '10']);
    await w(['SET', 'a', '11']); // the later one wins, as run one by one
    await w(['SET', 'c', 'v', 'PX', '100000']); // with an option: a command of its own
    writer.selectDb(4);
    await w(['SET', 'a', 'in-4']);
    writer.selectDb(0);
    await w(['SET', 'd', 'last']);
    await w(['SET', 'huge', 'h'.repeat(100_000)]); // too long to copy into a batch: a SET of its own, in order
    for (let i = 0; i < 600; i++) await w(['SET', `many:${i}`, String(i)]); // more than one MSET's worth
    await w(['APPEND', 'd', '!']);
    await writer.flush();
    expect(await c.mget('a', 'b', 'c', 'd', 'many:0', 'many:599')).toEqual(['11', 'x', 'v', 'last!', '0', '599']);
    expect(await c.strlen('huge')).toBe(100_000);
    expect(await c.pttl('c')).toBeGreaterThan(90_000);
    await c.select(4);
    expect(await c.get('a')).toBe('in-4');
    await c.select(0);
    const stats = String(await admin.info('commandstats'));
    expect(stats).toMatch(/cmdstat_mset:calls=[1-9]/);
    expect(await c.get(RECORD_KEY)).toMatch(new RegExp(`^at ${offset} `));
    writer.close();
  });

  it('in units, a unit refused at queue time stops the writer and no later unit runs', async () => {
    await admin.call('ACL', 'SETUSER', 'limited', 'on', '>pw', '~ok:*', `~${RECORD_KEY}`, '+@all');
    const writer = new StandaloneWriter({ host: '127.0.0.1', port: server.port, username: 'limited', password: 'pw' }, { connectionRetryMs: 5_000 });
    try {
      await writer.open();
      writer.beginUnits(unitRecord(), { offset: 0, db: 0 });
      await writer.write(['SET', 'ok:1', 'a'], { offset: 1, db: 0 });
      await writer.flush();
      await writer.write(['SET', 'forbidden', 'b'], { offset: 2, db: 0 });
      void writer.commitUnit();
      // Sent right behind it, before its answers are in.
      for (let i = 0; i < 50; i++) writer.write(['SET', `ok:later${i}`, 'c'], { offset: 3 + i, db: 0 })?.catch(() => undefined);
      const err = await writer.flush().then(() => undefined, (e: unknown) => e);
      expect((err as DtsError).code).toBe('DESTINATION_NOPERM');
      expect(await c.exists('ok:later0', 'ok:later49')).toBe(0);
      expect(await c.get(RECORD_KEY)).toMatch(/^at 1 /);
    } finally {
      writer.close();
      await admin.call('ACL', 'DELUSER', 'limited');
    }
  });

  it('in units, a destination that lost acknowledged writes is named (DESTINATION_ROLLED_BACK)', async () => {
    const { writer } = newWriter();
    await writer.open();
    writer.beginUnits(unitRecord(), { offset: 0, db: 0 });
    for (let i = 1; i <= 100; i++) await writer.write(['INCR', 'n'], { offset: i, db: 0 });
    await writer.flush();
    // As if it restarted from an older snapshot of its own.
    await c.set(RECORD_KEY, 'at 40 0 older.1');
    await writer.write(['INCR', 'n'], { offset: 101, db: 0 });
    for (const id of await writerClients()) await admin.call('CLIENT', 'KILL', 'ID', id);
    const err = await writer.flush().then(() => undefined, (e: unknown) => e);
    expect((err as DtsError).code).toBe('DESTINATION_ROLLED_BACK');
    expect((err as DtsError).message).toMatch(/lost writes it had acknowledged/);
    writer.close();
  });

  it('a transient reply (BUSY) is retried until it passes, each write applied once', async () => {
    const { writer, logs } = newWriter();
    await writer.open();
    const script = admin.eval('local t = redis.call("TIME") while true do local n = redis.call("TIME") if (n[1] - t[1]) * 1000000 + (n[2] - t[2]) > 1500000 then break end end return 1', 0);
    await new Promise((r) => setTimeout(r, 300)); // the script is past busy-reply-threshold
    for (let i = 0; i < 100; i++) await writer.write(['INCR', 'n']);
    await writer.flush();
    await script;
    expect(await c.get('n')).toBe('100');
    expect(logs.join('\n')).toMatch(/answered BUSY/);
    writer.close();
  });

  it('in units, a transient reply (BUSY) is retried until it passes, each write applied once', async () => {
    const { writer, logs } = newWriter();
    await writer.open();
    writer.beginUnits(unitRecord(), { offset: 0, db: 0 });
    const script = admin.eval('local t = redis.call("TIME") while true do local n = redis.call("TIME") if (n[1] - t[1]) * 1000000 + (n[2] - t[2]) > 1500000 then break end end return 1', 0);
    await new Promise((r) => setTimeout(r, 300)); // the script is past busy-reply-threshold
    for (let i = 1; i <= 100; i++) {
      await writer.write(['INCR', 'n'], { offset: i, db: 0 });
      if (i % 10 === 0) await writer.commitUnit();
    }
    await writer.flush();
    await script;
    expect(await c.get('n')).toBe('100');
    expect(logs.join('\n')).toMatch(/answered BUSY/);
    writer.close();
  });

  it('a refused write stops the writer with the reply, the command and the key', async () => {
    const { writer } = newWriter();
    await writer.open();
    await c.rpush('alist', 'x');
    await writer.write(['SET', 'ok', '1']);
    await writer.write(['INCR', 'alist']);
    const err = await writer.flush().then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(DtsError);
    expect((err as DtsError).code).toBe('WRITE_REJECTED');
    expect((err as DtsError).message).toMatch(/refused INCR on key "alist": WRONGTYPE/);
    expect(() => writer.write(['SET', 'after', '1'])).toThrow(/WRONGTYPE/);
    writer.close();
  });

  it('a command refused inside MULTI/EXEC is named, even after a SELECT in the block', async () => {
    const { writer } = newWriter();
    await writer.open();
    await c.select(1);
    await c.rpush('alist', 'x');
    await c.select(0);
    await writer.write(['MULTI']);
    await writer.write(['SET', 'a', '1']);
    writer.selectDb(1);
    await writer.write(['INCR', 'alist']);
    await writer.write(['EXEC']);
    const err = await writer.flush().then(() => undefined, (e: unknown) => e);
    expect((err as DtsError).message).toMatch(/refused INCR on key "alist": WRONGTYPE/);
    writer.close();
  });

  it('an unreachable destination fails open() with a NetError naming it', async () => {
    const writer = new StandaloneWriter({ host: '127.0.0.1', port: 1 });
    const err = await writer.open().then(() => undefined, (e: unknown) => e);
    expect((err as DtsError).message).toMatch(/^connection refused by the destination 127\.0\.0\.1:1: /);
    await expect(writer.flush()).rejects.toThrow(/not open/);
  });
});

async function waitUntil(cond: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}
