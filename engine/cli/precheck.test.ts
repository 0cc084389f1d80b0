/**
 * `npm run sync -- --precheck`: the precheck table for the task the options
 * describe, run as a child process against real servers; exit 1 when an item
 * failed (nothing started), 0 when none did (warnings allowed), 2 for usage errors.
 */
import type Redis from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { freePort, RedisServer } from '../testing/redis-server';
import { errorLine, runCli } from './testing/run-cli';
import { formatPrecheckTable, precheckVerdict } from './precheck';

function row(stdout: string, item: string): string {
  return stdout.split('\n').find((l) => l.startsWith(item)) ?? '';
}

describe('npm run sync -- --precheck', () => {
  let source: RedisServer;
  let target: RedisServer;
  let src: Redis;
  let dst: Redis;

  beforeAll(async () => {
    [source, target] = await Promise.all([RedisServer.start({ password: 's3cret' }), RedisServer.start()]);
    src = source.client();
    dst = target.client();
  });
  afterAll(async () => {
    src?.disconnect();
    dst?.disconnect();
    await Promise.all([source?.stop(), target?.stop()]);
  });
  beforeEach(async () => {
    await Promise.all([src.flushall(), dst.flushall(), dst.config('SET', 'maxmemory-policy', 'noeviction')]);
  });

  it('exits 1 with the table when an item failed, naming the DB and keys, and starts nothing', async () => {
    await src.set('a', '1');
    await dst.set('already', 'here');
    const r = await runCli(['--precheck', '--source', source.url, '--target', target.url]);
    expect(r.code).toBe(1);
    expect(r.stdout.split('\n')[0]).toMatch(/^ITEM\s+STATUS\s+REASON$/);
    expect(row(r.stdout, 'Source database connectivity')).toMatch(/\bpassed\b/);
    expect(row(r.stdout, 'Destination Object Data Existence Check')).toMatch(/FAILED\s+Keys already exist in the destination \(DB 0\)/);
    expect(r.stdout).toMatch(/· DB 0: 1 key\(s\), e\.g\. "already"/);
    expect(r.stdout).toMatch(/fix: Empty those destination DBs/);
    expect(r.stdout).toMatch(/10 passed, 0 warnings, 1 failed: the task would fail/);
    expect(r.stderr).toMatch(/^precheck: 127\.0\.0\.1:\d+ → 127\.0\.0\.1:\d+ \(full\+incremental; Precheck And Block; DB 0\)/);
    // Nothing started: no key copied, no heartbeat written on the source.
    expect(await dst.dbsize()).toBe(1);
    expect(await src.keys('DTS_REDIS_TIMESTAMP_HEARTBEAT*')).toEqual([]);
  });

  it('exits 0 when nothing failed, warnings included; --conflict overwrite skips the existence check', async () => {
    await src.set('a', '1');
    await dst.set('already', 'here');
    await dst.config('SET', 'maxmemory-policy', 'allkeys-lru');
    const r = await runCli(['--precheck', '--source', source.url, '--target', target.url, '--conflict', 'overwrite']);
    expect(r.code).toBe(0);
    expect(row(r.stdout, 'Destination eviction policy')).toMatch(/WARNING\s+.*allkeys-lru/);
    expect(r.stdout).toMatch(/fix: CONFIG SET maxmemory-policy noeviction/);
    expect(row(r.stdout, 'Destination Object Data Existence Check')).toMatch(/passed\s+Skipped/);
    expect(r.stdout).toMatch(/10 passed, 1 warning, 0 failed: the task can start \(read the warnings first\)/);
  });

  it('checks the DBs of the task: --db and --db-map, and without --db the DBs holding keys', async () => {
    await src.select(1);
    await src.set('one', '1');
    await src.select(0);
    await dst.select(3);
    await dst.set('in-three', 'x');
    await dst.select(0);
    const mapped = await runCli(['--precheck', '--source', source.url, '--target', target.url, '--db', '1', '--db-map', '1:3', '--json']);
    expect(mapped.code).toBe(1);
    const doc = JSON.parse(mapped.stdout) as { ok: boolean; dbs: unknown; results: { id: string; status: string; details: string[] }[] };
    expect(doc.ok).toBe(false);
    expect(doc.dbs).toEqual([{ db: 1, targetDb: 3 }]);
    expect(doc.results.find((x) => x.id === 'target-existence')).toMatchObject({ status: 'failed', details: ['DB 3: 1 key(s), e.g. "in-three"'] });
    expect(doc.results).toHaveLength(11);

    const other = await runCli(['--precheck', '--source', source.url, '--target', target.url, '--db', '1', '--db-map', '1:4']);
    expect(other.code).toBe(0);
    const all = await runCli(['--precheck', '--source', source.url, '--target', target.url]);
    expect(all.code).toBe(1); // DB 1 (source keys) and DB 3 (destination keys) are both carried
    expect(all.stderr).toMatch(/; DB 1, DB 3\)/);
    expect(row(all.stdout, 'Destination Object Data Existence Check')).toMatch(/FAILED.*\(DB 3\)/);
  });

  it('exits 1 when a side cannot be reached or logged into, saying which', async () => {
    const nobody = await freePort();
    const r = await runCli(['--precheck', '--source', source.url.replace('s3cret', 'wrong'), '--target', `redis://127.0.0.1:${nobody}`]);
    expect(r.code).toBe(1);
    expect(row(r.stdout, 'Source database connectivity')).toMatch(/FAILED/);
    expect(row(r.stdout, 'Destination database connectivity')).toMatch(/FAILED/);
    expect(r.stdout).toMatch(/fix: /);
  });

  it('refuses what it cannot check, with the usage (exit 2)', async () => {
    const rdb = await runCli(['--precheck', '--rdb', '/tmp/dump.rdb', '--target', target.url]);
    expect(rdb.code).toBe(2);
    expect(errorLine(rdb)).toBe('error: --precheck checks a source and a destination; --rdb has no source to check');
    expect(rdb.stderr).toMatch(/--precheck\s+run the prechecks/);
    const bad = await runCli(['--precheck', '--source', source.url]);
    expect(bad.code).toBe(2);
    expect(errorLine(bad)).toBe('error: --target is required');
  });
});

describe('precheck table', () => {
  it('lines up the items and puts details and the fix under those that did not pass', () => {
    const table = formatPrecheckTable([
      { id: 'source-connectivity', name: 'Source', status: 'passed', reason: 'ok', details: ['hidden'], ignorable: false },
      { id: 'target-eviction', name: 'Eviction policy', status: 'warning', reason: 'evicts', details: ['policy allkeys-lru'], fix: 'CONFIG SET …', ignorable: true },
    ]);
    expect(table.split('\n')).toEqual([
      'ITEM             STATUS   REASON',
      'Source           passed   ok',
      'Eviction policy  WARNING  evicts',
      '                          · policy allkeys-lru',
      '                          fix: CONFIG SET …',
      '',
    ]);
    expect(precheckVerdict([{ id: 'source-modules', name: 'M', status: 'failed', reason: 'x', details: [], ignorable: false }]))
      .toEqual({ failed: 1, line: '0 passed, 0 warnings, 1 failed: the task would fail; fix the failed items (or, where the console allows it, ignore them) before starting it' });
  });
});
