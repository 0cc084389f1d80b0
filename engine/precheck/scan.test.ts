/**
 * Scan mode's precheck items against a managed-service stand-in (PSYNC, SYNC and CONFIG
 * renamed away) and a plain server: what passes, what only warns, and that the PSYNC
 * items give way to them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startManagedSource } from '../testing/managed-source';
import { RedisServer } from '../testing/redis-server';
import { precheckPasses, runPrechecks } from './run';
import type { PrecheckInput, PrecheckOptions, RedisEndpoint } from './types';

const opts: PrecheckOptions = { syncTypes: 'full+incremental', conflictMode: 'block', dbs: [{ db: 0, targetDb: 0 }] };

function ep(server: { port: number }, extra: Partial<RedisEndpoint> = {}): RedisEndpoint {
  return { host: '127.0.0.1', port: server.port, mode: 'standalone', audience: 'console', ...extra };
}

let managed: RedisServer;
let plain: RedisServer;
let target: RedisServer;

beforeAll(async () => {
  [managed, plain, target] = await Promise.all([startManagedSource(), RedisServer.start({ configFile: ['client-output-buffer-limit pubsub 1mb 512kb 60'] }), RedisServer.start()]);
  const c = plain.client();
  await c.set('k', 'v');
  await c.call('ACL', 'SETUSER', 'nodump', 'on', '>pw', '~*', '+@all', '-dump');
  c.disconnect();
});
afterAll(async () => {
  await Promise.all([managed?.stop(), plain?.stop(), target?.stop()]);
});

const scanInput = (source: RedisEndpoint): PrecheckInput => ({ source, target: ep(target), options: { ...opts, readMethod: 'scan' } });

describe('scan mode prechecks', () => {
  it('a source refusing PSYNC fails the replication items, and passes in scan mode with a warning about what it cannot read', async () => {
    const replication = await runPrechecks({ source: ep(managed), target: ep(target), options: opts }, { timeoutMs: 3000 });
    const psync = replication.find((r) => r.id === 'source-psync');
    expect(psync?.status).toBe('failed');
    // The refusal offers scan mode, in the console's words.
    expect(psync?.fix).toMatch(/choose Read Method "Scan"/);
    expect(replication.some((r) => r.id === 'source-scan')).toBe(false);

    const scan = await runPrechecks(scanInput(ep(managed)), { timeoutMs: 3000 });
    const ids = scan.map((r) => r.id);
    expect(ids).not.toContain('source-psync');
    expect(ids).not.toContain('source-replication');
    expect(scan.find((r) => r.id === 'source-scan')).toMatchObject({ status: 'passed' });
    const notes = scan.find((r) => r.id === 'source-notifications');
    // CONFIG is refused: the setting cannot be read, so the user is told what it must be.
    expect(notes).toMatchObject({ status: 'warning' });
    expect(notes?.reason).toMatch(/cannot read notify-keyspace-events/i);
    expect(notes?.fix).toMatch(/EA/);
    expect(precheckPasses(scan)).toBe(true);
  });

  it('a small pubsub output buffer warns; notifications off but settable are named as set by the task', async () => {
    const [r] = await runPrechecks(scanInput(ep(plain)), { only: ['source-notifications'], timeoutMs: 3000 });
    expect(r?.status).toBe('warning');
    expect(r?.reason).toMatch(/pubsub output buffer limit 1(\.0)? MB/);
    expect(r?.details.join('\n')).toMatch(/the task sets it to "EA"/);
  });

  it('an account without DUMP fails, not ignorable, naming the command', async () => {
    const [r] = await runPrechecks(scanInput(ep(plain, { username: 'nodump', password: 'pw' })), { only: ['source-scan'], timeoutMs: 3000 });
    expect(r).toMatchObject({ status: 'failed', ignorable: false });
    expect(r?.details.join('\n')).toMatch(/DUMP refused/);
    expect(r?.fix).toMatch(/ACL SETUSER nodump .*\+dump/);
  });
});
