/**
 * PipelinedConnection.callRaw against a real redis-server: raw replies (their bytes) in order
 * with parsed ones, whole however the socket cuts them, and errors as their bytes.
 */
import type Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { arrayHeader, bulkSpans, rawError } from '../resp/raw';
import { RedisServer } from '../testing/redis-server';
import { PipelinedConnection } from './connection';

let server: RedisServer;
let c: Redis;

beforeAll(async () => {
  server = await RedisServer.start();
  c = server.client();
});
afterAll(async () => {
  c?.disconnect();
  await server?.stop();
});

function values(raw: Buffer): (string | null)[] {
  const [n, at] = arrayHeader(raw, 0);
  const spans = new Int32Array(n * 3);
  bulkSpans(raw, at, n, spans);
  return Array.from({ length: n }, (_, i) => (spans[i * 3 + 2]! < 0 ? null : raw.toString('latin1', spans[i * 3 + 1]!, spans[i * 3 + 1]! + spans[i * 3 + 2]!)));
}

describe('PipelinedConnection.callRaw', () => {
  it('hands over raw replies between parsed ones, small and spanning many chunks', async () => {
    const keys = Array.from({ length: 300 }, (_, i) => `raw:${i}`);
    const big = (i: number) => String(i % 10).repeat(i % 7 === 0 ? 70_000 : 1 + (i % 50));
    for (let i = 0; i < keys.length; i++) if (i % 5 !== 4) await c.set(keys[i]!, big(i));
    await c.hset('raw:hash', 'f', 'v');
    const conn = new PipelinedConnection<null>({ host: '127.0.0.1', port: server.port }, () => undefined, () => undefined, { role: 'source' });
    await conn.open();
    try {
      const want = keys.map((k, i) => (i % 5 === 4 ? null : big(i)));
      const replies = await Promise.all([
        conn.call(['GET', keys[0]!]),
        conn.callRaw(['MGET', ...keys]),
        conn.call(['DUMP', 'raw:hash']),
        conn.callRaw(['MGET', keys[1]!, 'raw:none']),
        conn.callRaw(['HGET', 'raw:hash']),
        conn.callRaw(['MGET', ...keys.slice(0, 100)]),
        conn.call(['PING']),
      ]);
      expect(String(replies[0])).toBe(big(0));
      expect(values(replies[1] as Buffer)).toEqual(want);
      expect(Buffer.isBuffer(replies[2])).toBe(true);
      expect(values(replies[3] as Buffer)).toEqual([big(1), null]);
      expect(rawError(replies[4] as Buffer)?.message).toMatch(/wrong number of arguments/);
      expect(values(replies[5] as Buffer)).toEqual(want.slice(0, 100));
      expect(replies[6]).toBe('PONG');
    } finally {
      conn.close();
    }
  });
});
