/**
 * `npm run sync -- --read scan` against a managed-service stand-in (PSYNC, SYNC and
 * CONFIG renamed away): the run says it is in scan mode and copies every key; without
 * `--read scan` the same source cannot be read.
 */
import type Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectEqual } from '../testing/expect-equal';
import { startManagedSource } from '../testing/managed-source';
import { RedisServer } from '../testing/redis-server';
import { errorLines, jsonEvents, runCli } from './testing/run-cli';

describe('sync CLI --read scan', () => {
  let source: RedisServer;
  let target: RedisServer;
  let src: Redis;
  let dst: Redis;

  beforeAll(async () => {
    [source, target] = await Promise.all([startManagedSource(), RedisServer.start()]);
    src = source.client();
    dst = target.client();
    const p = src.pipeline();
    for (let i = 0; i < 2_000; i++) p.set(`k${i}`, String(i));
    p.hset('h', 'a', '1');
    p.set('ttl', 'x', 'PX', 3_600_000);
    p.select(3);
    p.rpush('l', 'a', 'b');
    await p.exec();
  });
  afterAll(async () => {
    for (const c of [src, dst]) c?.disconnect();
    await Promise.all([source?.stop(), target?.stop()]);
  });

  it('copies a source that refuses PSYNC, saying it runs in scan mode', async () => {
    const r = await runCli(['--source', source.url, '--target', target.url, '--type', 'full', '--read', 'scan']);
    expect(errorLines(r)).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^Scan mode: /m);
    await expectEqual(src, dst, { dbs: [0, 3] });

    const json = await runCli(['--source', source.url, '--target', target.url, '--type', 'full', '--read', 'scan', '--json', '--conflict', 'overwrite']);
    expect(json.code).toBe(0);
    expect(jsonEvents(json.stdout)[0]).toMatchObject({ type: 'mode', read: 'scan' });
  });

  it('--precheck --read scan checks the scan items instead of PSYNC\'s, and passes', async () => {
    const scan = await runCli(['--precheck', '--source', source.url, '--target', target.url, '--read', 'scan', '--conflict', 'overwrite']);
    expect(scan.stdout).toMatch(/Source SCAN\/DUMP permission\s+passed/);
    expect(scan.stdout).toMatch(/Source keyspace notifications\s+WARNING\s+Cannot read notify-keyspace-events/);
    expect(scan.stdout).not.toMatch(/Source PSYNC\/SYNC permission/);
    expect(scan.code).toBe(0);
    const psync = await runCli(['--precheck', '--source', source.url, '--target', target.url, '--conflict', 'overwrite']);
    expect(psync.stdout).toMatch(/Source PSYNC\/SYNC permission\s+FAILED/);
    expect(psync.stdout).toMatch(/run the task with --read scan/);
    expect(psync.code).toBe(1);
  });

  it('without --read scan the same source cannot be read', async () => {
    const r = await runCli(['--source', source.url, '--target', target.url, '--type', 'full', '--conflict', 'overwrite', '--retry-minutes', '0']);
    expect(r.code).toBe(1);
    expect(errorLines(r).join('\n')).toMatch(/PSYNC|SYNC/);
  });
});
