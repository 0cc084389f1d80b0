/**
 * A precheck never waits forever: a destination that accepts the TCP connection
 * and never answers (a net.Server that stays silent), and a real redis-server
 * that stops answering half-way (SIGSTOP after the connection checks). Every item
 * still reports, within its time limit, and a timeout is its own Failed result
 * naming the server and the commands that did not answer.
 */
import type Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisServer } from '@/engine/testing/redis-server';
import { precheckItemsFor, runPrechecks } from './run';
import { startSilentServer } from '../testing/silent-server';
import type { PrecheckOptions, PrecheckResult, RedisEndpoint } from './types';

/** Every DB selected: the existence check asks the destination about each of them. */
const ALL_DBS: PrecheckOptions = {
  syncTypes: 'full+incremental', conflictMode: 'block', dbs: Array.from({ length: 16 }, (_, db) => ({ db, targetDb: db })),
};

function ep(port: number): RedisEndpoint {
  return { host: '127.0.0.1', port, mode: 'standalone' };
}

async function pidOf(c: Redis): Promise<number> {
  return Number(/^process_id:(\d+)/m.exec(String(await c.info('server')))?.[1]);
}

let source: RedisServer;

beforeAll(async () => {
  source = await RedisServer.start();
});

afterAll(async () => {
  await source?.stop();
});

describe('a precheck against a server that does not answer', () => {
  it('a destination that accepts the connection and stays silent: every item reports, connectivity names it', async () => {
    const silent = await startSilentServer();
    try {
      const started = Date.now();
      const seen: string[] = [];
      const results = await runPrechecks({ source: ep(source.port), target: ep(silent.port), options: ALL_DBS },
        { timeoutMs: 1000, itemTimeoutMs: 4000, onResult: (r) => { seen.push(r.id); } });
      expect(Date.now() - started).toBeLessThan(20_000);
      expect(seen).toEqual(precheckItemsFor().map((i) => i.id));
      const byId = Object.fromEntries(results.map((r) => [r.id, r])) as Record<string, PrecheckResult>;
      expect(byId['target-connectivity']).toMatchObject({ status: 'failed', ignorable: false });
      expect(byId['target-connectivity'].reason).toMatch(new RegExp(`127\\.0\\.0\\.1:${silent.port}.*(did not|no Redis reply)`));
      expect(byId['target-existence'].reason).toMatch(/^Not checked: the destination database cannot be connected/);
      expect(byId['source-connectivity'].status).toBe('passed');
    } finally {
      await silent.close();
    }
  }, 60_000);

  it('a destination that stops answering after the connection checks: the item that waits on it fails at its time limit, naming it', async () => {
    const target = await RedisServer.start();
    const dst = target.client();
    const pid = await pidOf(dst);
    let stopped = false;
    try {
      const started = Date.now();
      const results = await runPrechecks({ source: ep(source.port), target: ep(target.port), options: ALL_DBS }, {
        timeoutMs: 1000,
        itemTimeoutMs: 4000,
        onResult: (r) => {
          // Both sides are open (their facts read): the destination now accepts bytes and never answers.
          if (r.id === 'source-connectivity') {
            process.kill(pid, 'SIGSTOP');
            stopped = true;
          }
        },
      });
      const elapsed = Date.now() - started;
      const existence = results.find((r) => r.id === 'target-existence')!;
      expect(existence).toMatchObject({ status: 'failed' });
      expect(existence.reason).toMatch(new RegExp(`^The check did not finish within 4 s: the destination 127\\.0\\.0\\.1:${target.port} did not answer \\(SELECT( ×\\d+)?\\)\\.$`));
      expect(existence.details).toContainEqual(expect.stringMatching(new RegExp(`^127\\.0\\.0\\.1:${target.port} \\(destination\\): no answer to SELECT`)));
      expect(existence.fix).toMatch(/^Check that the destination 127\.0\.0\.1:\d+ is running and not blocked/);
      expect(results.map((r) => r.id)).toEqual(precheckItemsFor().map((i) => i.id));
      // 16 DBs asked one after another would take 16 × 2 command timeouts; the item's limit cuts that short.
      expect(elapsed).toBeLessThan(15_000);
    } finally {
      if (stopped) process.kill(pid, 'SIGCONT');
      dst.disconnect();
      await target.stop();
    }
  }, 60_000);
});
