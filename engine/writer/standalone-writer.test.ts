/**
 * StandaloneWriter against a real redis-server: checkpoints only after replies,
 * the rate limit, a broken connection and transient replies retried without loss
 * or duplicates, and a refused write stopping it with the reply.
 */
import type Redis from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DtsError } from '../errors';
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
    const { writer, logs } = newWriter({ rps: 400 });
    await writer.open();
    const writing = (async () => {
      for (let i = 0; i < 1200; i++) await writer.write(['RPUSH', 'log', String(i)]);
    })();
    for (let kill = 0; kill < 3; kill++) {
      await new Promise((r) => setTimeout(r, 400));
      for (const id of await writerClients()) await admin.call('CLIENT', 'KILL', 'ID', id);
    }
    await writing;
    await writer.flush();
    expect(logs.filter((l) => l.includes('reconnected to the destination')).length).toBeGreaterThanOrEqual(2);
    const log = await c.lrange('log', 0, -1);
    expect(log).toEqual(Array.from({ length: 1200 }, (_, i) => String(i)));
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

  it('an unreachable destination fails open() with a NetError naming it', async () => {
    const writer = new StandaloneWriter({ host: '127.0.0.1', port: 1 });
    const err = await writer.open().then(() => undefined, (e: unknown) => e);
    expect((err as DtsError).message).toMatch(/^the destination 127\.0\.0\.1:1 refused the connection/);
    await expect(writer.flush()).rejects.toThrow(/not open/);
  });
});
