/**
 * A failed AUTH (precheck, Test Connection) must not carry the password anywhere in the error it
 * throws: ioredis's reply error records the command's arguments, and it used to travel as `cause`.
 */
import util from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisServer } from '@/engine/testing/redis-server';
import { ConnectError, openRedis } from './connect';

const PASSWORD = 'Wr0ng-Pa55word-kept-out-of-errors';

let server: RedisServer;
beforeAll(async () => {
  server = await RedisServer.start({ password: 'the-right-one' });
});
afterAll(async () => {
  await server?.stop();
});

async function failure(username?: string): Promise<unknown> {
  try {
    const client = await openRedis({ host: '127.0.0.1', port: server.port, username, password: PASSWORD, mode: 'standalone' }, { timeoutMs: 3000 });
    client.disconnect();
  } catch (err) {
    return err;
  }
  throw new Error('AUTH with a wrong password succeeded');
}

describe('openRedis: a refused AUTH', () => {
  for (const username of [undefined, 'someone']) {
    it(`keeps only the code and message of the client's error${username ? ' (with a user name)' : ''}`, async () => {
      const err = await failure(username);
      expect(err).toBeInstanceOf(ConnectError);
      expect((err as ConnectError).message).toMatch(/password/i);
      const cause = (err as ConnectError).cause as Error;
      expect(cause).toBeInstanceOf(Error);
      expect(cause.message).toMatch(/WRONGPASS|invalid/i);
      expect(Object.keys(cause).filter((k) => k !== 'code')).toEqual([]);
      // Everything a log could print: util.inspect of every property, hidden ones too, at any depth.
      const printed = util.inspect(err, { depth: Infinity, showHidden: true, getters: true });
      expect(printed).toContain('WRONGPASS');
      expect(printed).not.toContain(PASSWORD);
      expect(JSON.stringify(err)).not.toContain(PASSWORD);
      expect(String((err as Error).stack)).not.toContain(PASSWORD);
    });
  }
});
