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
import { RedisCluster, RedisServer } from '@/engine/testing/redis-server';

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

describe('cut over of a cluster source', () => {
  it('pauses every master, waits for every shard\'s checkpoint, and /metrics names each shard with its own lag', { timeout: 180_000 }, async () => {
    const cluster = await RedisCluster.start(3, { config: { 'repl-diskless-sync-delay': 0 } });
    const dest = await RedisServer.start();
    const { EngineManager } = await import('./manager');
    const { cutOver } = await import('./cutover');
    const { renderMetrics } = await import('./prometheus');
    const parse = (text: string, name: string) => [...text.matchAll(new RegExp(`^${name}\\{([^}]*)\\} (\\S+)$`, 'gm'))]
      .map((m) => ({ labels: m[1], value: Number(m[2]) }));
    const manager = new EngineManager();
    const app = cluster.client();
    try {
      const seed = cluster.nodes[0].port;
      await db().task.create({
        data: { id: 'dtscutclus1', name: 'cut cluster', region: 'local', status: 'PrecheckPassed', instanceClass: 'unlimited',
          source: JSON.stringify({ host: '127.0.0.1', port: seed, authMethod: 'password-free', mode: 'cluster' }),
          target: JSON.stringify({ host: '127.0.0.1', port: dest.port, authMethod: 'password-free' }),
          objects: JSON.stringify({ dbs: [{ db: 0, targetDb: 0 }] }) },
      });
      for (let i = 0; i < 300; i++) await app.set(`k:${i}`, `v${i}`);
      await manager.perform('dtscutclus1', 'start');
      await expect.poll(async () => (await db().task.findUniqueOrThrow({ where: { id: 'dtscutclus1' } })).status, { timeout: 90_000 }).toBe('Running');
      await expect.poll(() => manager.liveProgress('dtscutclus1')?.delayMs ?? null, { timeout: 30_000 }).not.toBeNull();
      for (let i = 300; i < 400; i++) await app.set(`k:${i}`, `v${i}`);

      // Three shards, each with its own checkpoint and a known byte lag against its own master.
      await expect.poll(async () => parse((await renderMetrics(manager)).body, 'dts_replication_lag_bytes')
        .filter((s) => s.labels.includes('dtscutclus1') && Number.isFinite(s.value)).length, { timeout: 30_000 }).toBe(3);
      const lag = parse((await renderMetrics(manager)).body, 'dts_replication_lag_bytes').filter((s) => s.labels.includes('dtscutclus1'));
      expect(lag.map((s) => /shard="slots [0-9,-]+"/.test(s.labels))).toEqual([true, true, true]);

      const report = await cutOver(manager, 'dtscutclus1', { maxLagSeconds: 30, pauseWrites: true, pauseLimitMs: 20_000, waitMs: 30_000, sampleKeys: 50 });
      expect(report.shards).toHaveLength(3);
      expect(new Set(report.shards.map((s) => s.shard)).size).toBe(3);
      expect(report.changedKeysVerified).toBeGreaterThanOrEqual(100);
      expect(report.statement).toContain('slots ');
      expect((await db().task.findUniqueOrThrow({ where: { id: 'dtscutclus1' } })).status).toBe('Ended');
      const d = dest.client();
      try {
        for (const i of [0, 150, 299, 300, 399]) expect(await d.get(`k:${i}`)).toBe(`v${i}`);
      } finally {
        d.disconnect();
      }
      // The pause was lifted on every master.
      await app.set('after', '1');
    } finally {
      app.disconnect();
      await manager.shutdown();
      await Promise.all([cluster.stop(), dest.stop()]);
    }
  });
});


describe('cut over of a relayed task', () => {
  it('waits for the offset the destination acknowledged, verifies a sample, ends the task and leaves the destination a master', { timeout: 120_000 }, async () => {
    const src = await RedisServer.start({ config: { 'repl-diskless-sync-delay': 0 } });
    const dest = await RedisServer.start();
    const { EngineManager } = await import('./manager');
    const { cutOver } = await import('./cutover');
    const manager = new EngineManager();
    const app = src.client();
    const d = dest.client();
    try {
      await db().task.create({
        data: { id: 'dtscutrelay', name: 'cut relay', region: 'local', status: 'PrecheckPassed', instanceClass: 'unlimited',
          source: JSON.stringify({ host: '127.0.0.1', port: src.port, authMethod: 'password-free' }),
          target: JSON.stringify({ host: '127.0.0.1', port: dest.port, authMethod: 'password-free' }),
          objects: JSON.stringify({ dbs: [{ db: 0, targetDb: 0 }] }), advanced: JSON.stringify({ writeMethod: 'relay' }) },
      });
      for (let i = 0; i < 300; i++) await app.set(`k:${i}`, `v${i}`);
      await manager.perform('dtscutrelay', 'start');
      await expect.poll(async () => (await db().task.findUniqueOrThrow({ where: { id: 'dtscutrelay' } })).status, { timeout: 90_000 }).toBe('Running');
      expect(String(await d.info('replication'))).toMatch(/role:slave/);
      for (let i = 300; i < 400; i++) await app.set(`k:${i}`, `v${i}`);
      await expect.poll(() => manager.liveProgress('dtscutrelay')?.delayMs ?? null, { timeout: 30_000 }).not.toBeNull();

      const report = await cutOver(manager, 'dtscutrelay', { maxLagSeconds: 30, pauseWrites: true, pauseLimitMs: 20_000, waitMs: 30_000, sampleKeys: 50 });
      expect(report.shards).toHaveLength(1);
      expect(report.keysVerified).toBe(50);
      expect(report.changedKeysVerified).toBe(0);
      expect(report.statement).toMatch(/verified 50 key\(s\): a sample of 50 of the 400 the selected DBs hold \(a relayed destination applies the source's own stream as a replica/);
      expect(report.statement).not.toMatch(/every key the stream wrote/);
      expect((await db().task.findUniqueOrThrow({ where: { id: 'dtscutrelay' } })).status).toBe('Ended');
      expect(String(await d.info('replication'))).toMatch(/role:master/);
      for (const i of [0, 299, 300, 399]) expect(await d.get(`k:${i}`)).toBe(`v${i}`);
    } finally {
      app.disconnect();
      d.disconnect();
      await manager.shutdown();
      await Promise.all([src.stop(), dest.stop()]);
    }
  });
});
