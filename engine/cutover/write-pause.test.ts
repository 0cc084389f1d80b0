/**
 * CLIENT PAUSE … WRITE for a cut over, on a real redis-server: writes wait while it
 * holds, reads do not; lift() lets them through; the hard limit ends it by itself; and a
 * holder killed with SIGKILL (a console that dies mid cut over) leaves the server taking
 * writes again once its short lease runs out — nothing has to lift it.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisServer } from '../testing/redis-server';
import { WritePause } from './write-pause';

let server: RedisServer;

beforeAll(async () => {
  server = await RedisServer.start();
});
afterAll(async () => {
  await server?.stop();
});

const ep = () => ({ host: '127.0.0.1', port: server.port, mode: 'standalone' as const });

/** Resolves with the time the write completed. */
async function timedWrite(key: string): Promise<number> {
  const c = server.client();
  try {
    await c.set(key, '1');
    return Date.now();
  } finally {
    c.disconnect();
  }
}

describe('WritePause', () => {
  it('holds writes (not reads) until lifted', { timeout: 30_000 }, async () => {
    const pause = await WritePause.start([ep()], { hardLimitMs: 30_000, leaseMs: 1_000 });
    const reader = server.client();
    expect(await reader.get('nothing')).toBeNull();
    let done = false;
    const write = timedWrite('held').then((at) => {
      done = true;
      return at;
    });
    // Past several leases: the renewals keep it paused.
    await new Promise((r) => setTimeout(r, 2_500));
    expect(done).toBe(false);
    const liftedAt = Date.now();
    await pause.lift();
    expect(await write).toBeGreaterThanOrEqual(liftedAt);
    expect(pause.active).toBe(false);
    reader.disconnect();
  });

  it('ends by itself at the hard limit', { timeout: 30_000 }, async () => {
    const pause = await WritePause.start([ep()], { hardLimitMs: 1_500, leaseMs: 1_000 });
    await timedWrite('after-limit');
    await expect.poll(() => pause.active, { timeout: 10_000 }).toBe(false);
    expect(pause.ended).toContain('hard limit');
  });

  it('is lifted by its own timeout when the process holding it is killed', { timeout: 60_000 }, async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'testing', 'hold-pause.ts'), String(server.port), '60000', '1000'],
      { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (d: Buffer) => { if (d.toString().includes('paused')) resolve(); });
      child.on('exit', (code) => reject(new Error(`the holder exited (${code})`)));
    });
    let done = false;
    const write = timedWrite('orphaned').then((at) => {
      done = true;
      return at;
    });
    await new Promise((r) => setTimeout(r, 2_000));
    expect(done).toBe(false);
    const killedAt = Date.now();
    child.kill('SIGKILL');
    // Well before the holder's 60 s limit: the last lease ran out.
    expect(await write).toBeGreaterThanOrEqual(killedAt);
    expect(await timedWrite('free-again')).toBeGreaterThan(0);
  });
});
