/**
 * A console task's log speaks the console's language: when the replica link of a task started
 * from its record fails, the hint names the console's fields ("set Encryption to SSL"), never
 * the CLI's URL ("use rediss://"). The source sits behind a proxy that drops the replication
 * connection without a byte, as Redis's TLS port does to a plain-text client, while the task's
 * control connections (INFO, the heartbeat) pass through to the real server.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { RedisServer } from '@/engine/testing/redis-server';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dts-link-wording-'));
process.env.DATABASE_URL = `file:${path.join(dir, 'dts.db')}`;
process.env.DTS_SECRET_KEY = Buffer.alloc(32, 9).toString('base64');

const { db } = await import('@/lib/db/client');
const { EngineManager } = await import('./manager');

const REPLICA_PING = Buffer.from('*1\r\n$4\r\nPING\r\n');

/** Passes connections through to `upstream`, except one that starts as the replica link does: closed unanswered. */
function replicationDropper(upstream: number): net.Server {
  return net.createServer((client) => {
    client.once('data', (first: Buffer) => {
      if (first.subarray(0, REPLICA_PING.length).equals(REPLICA_PING)) {
        client.destroy();
        return;
      }
      const server = net.connect(upstream, '127.0.0.1', () => server.write(first));
      client.pipe(server).pipe(client);
      const close = () => { client.destroy(); server.destroy(); };
      client.on('error', close);
      server.on('error', close);
      client.on('close', close);
      server.on('close', close);
    });
    client.on('error', () => undefined);
  });
}

describe('a console task whose replica link fails', () => {
  let source: RedisServer;
  let target: RedisServer;
  let proxy: net.Server;
  let proxyPort: number;
  beforeAll(async () => {
    [source, target] = await Promise.all([RedisServer.start(), RedisServer.start()]);
    proxy = replicationDropper(source.port);
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    proxyPort = (proxy.address() as net.AddressInfo).port;
  });
  afterAll(async () => {
    proxy?.close();
    await Promise.all([source?.stop(), target?.stop()]);
    await db().$disconnect();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('logs the console\'s hint (Encryption), not the CLI\'s (rediss://)', async () => {
    const endpoint = (port: number) => JSON.stringify({ host: '127.0.0.1', port, authMethod: 'password-free' });
    await db().task.create({
      data: {
        id: 'dtswording1', name: 'wording', region: 'local', status: 'PrecheckPassed', conflictMode: 'overwrite',
        source: endpoint(proxyPort), target: endpoint(target.port), objects: JSON.stringify({ dbs: [{ db: 0, targetDb: 0 }] }),
      },
    });
    const manager = new EngineManager();
    try {
      await manager.perform('dtswording1', 'start');
      await vi.waitFor(async () => {
        expect((await db().task.findUniqueOrThrow({ where: { id: 'dtswording1' } })).status).toBe('Failed');
      }, { timeout: 30_000, interval: 100 });
      const task = await db().task.findUniqueOrThrow({ where: { id: 'dtswording1' } });
      const expected = `the source 127.0.0.1:${proxyPort} closed the connection without a Redis reply; it probably expects TLS `
        + '(set Encryption to SSL (or check that the port is a Redis port))';
      expect(task.errorMessage).toBe(expected);
      const logs = (await db().taskLog.findMany({ where: { taskId: 'dtswording1' } })).map((l) => l.message);
      expect(logs).toContain(expected);
      expect(logs.join('\n')).not.toMatch(/rediss:\/\/|--tls-/);
    } finally {
      await manager.shutdown();
    }
  }, 60_000);
});
