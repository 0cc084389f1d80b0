/**
 * A cut over interrupted by the death of the console: the console process (a real
 * EngineManager with its engine process, lib/engine/testing/console-process.ts) pauses
 * writes on the source and waits for a destination that cannot catch up; it is killed
 * with SIGKILL in the middle — and the source takes writes again by itself, long before
 * the pause's 60 s limit, because the pause is held in short renewed leases.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisServer } from '@/engine/testing/redis-server';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dts-cutover-'));
process.env.DATABASE_URL = `file:${path.join(dir, 'dts.db')}`;
process.env.DTS_DATA_DIR = dir;
process.env.DTS_SECRET_KEY = Buffer.alloc(32, 7).toString('base64');

const { db } = await import('@/lib/db/client');

let source: RedisServer;
let target: RedisServer;

beforeAll(async () => {
  [source, target] = await Promise.all([RedisServer.start({ config: { 'repl-diskless-sync-delay': 0 } }), RedisServer.start()]);
});
afterAll(async () => {
  await Promise.all([source?.stop(), target?.stop()]);
  await db().$disconnect();
  fs.rmSync(dir, { recursive: true, force: true });
});

function lines(stream: NodeJS.ReadableStream): (text: string) => Promise<void> {
  let out = '';
  const waiters: { text: string; resolve: () => void }[] = [];
  stream.on('data', (d: Buffer) => {
    out += d.toString();
    for (const w of waiters.splice(0)) if (out.includes(w.text)) w.resolve(); else waiters.push(w);
  });
  return (text) => new Promise((resolve) => (out.includes(text) ? resolve() : waiters.push({ text, resolve })));
}

describe('cut over', () => {
  it('killed with the console in the middle leaves the source taking writes again', { timeout: 120_000 }, async () => {
    const endpoint = (port: number) => JSON.stringify({ host: '127.0.0.1', port, authMethod: 'password-free' });
    await db().task.create({
      data: { id: 'dtscutkill1', name: 'cut', region: 'local', status: 'PrecheckPassed', instanceClass: 'unlimited', source: endpoint(source.port), target: endpoint(target.port),
        objects: JSON.stringify({ dbs: [{ db: 0, targetDb: 0 }] }) },
    });
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'testing', 'console-process.ts'), 'cutover', 'dtscutkill1'], {
      cwd: process.cwd(), env: { ...process.env }, stdio: ['pipe', 'pipe', 'inherit'],
    });
    const exited = new Promise((r) => child.once('exit', r));
    const src = source.client();
    const dst = target.client();
    const watcher = source.client();
    try {
      const seen = lines(child.stdout!);
      await seen('running');
      // The destination takes no writes now, so the checkpoint cannot reach the source's offset.
      await dst.call('CLIENT', 'PAUSE', '60000', 'WRITE');
      await src.set('after:destination-paused', '1');
      child.stdin!.write('cutover\n');
      // The console holds the source's pause (its connection is named dts-cutover, and a write waits).
      await expect.poll(async () => String(await watcher.call('CLIENT', 'LIST')).includes('name=dts-cutover'), { timeout: 30_000 }).toBe(true);
      const pausedAt = Date.now();
      let written = false;
      const write = src.set('while:paused', '1').then(() => {
        written = true;
        return Date.now();
      });
      await new Promise((r) => setTimeout(r, 3_000));
      expect(written).toBe(false);
      const killedAt = Date.now();
      child.kill('SIGKILL');
      await exited;
      // Nobody lifted it: its lease ran out, long before the 60 s limit the console had asked for.
      const writtenAt = await write;
      expect(writtenAt).toBeGreaterThanOrEqual(killedAt);
      expect(writtenAt - pausedAt).toBeLessThan(30_000);
      expect(await src.get('while:paused')).toBe('1');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await dst.call('CLIENT', 'UNPAUSE').catch(() => undefined);
      src.disconnect();
      dst.disconnect();
      watcher.disconnect();
    }
  });
});
