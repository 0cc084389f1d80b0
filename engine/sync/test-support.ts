/**
 * Helpers for the sync engine's integration tests (not a test file itself):
 * sources started so a replica's full sync begins at once, a task run in the
 * background with its events recorded, waiting for the checkpoint to reach a
 * source offset, and a source filled with every encoding Redis 7.0 writes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Redis from 'ioredis';
import { expect } from 'vitest';
import { parseRedisUrl, type RedisEndpoint } from '../endpoint';
import { CHECKPOINT_PREFIX } from '../filter';
import { compareKeyByKey, debugDigest, type KeyDifference } from '../testing/compare';
import { RedisServer, type RedisServerOptions } from '../testing/redis-server';
import { SyncTask, type SyncLogLevel, type SyncOptions, type SyncProgress, type SyncStage } from './sync-task';

/** A source whose replicas get their snapshot without the diskless delay. */
export function startSource(opts: RedisServerOptions = {}): Promise<RedisServer> {
  return RedisServer.start({ ...opts, config: { 'repl-diskless-sync-delay': 0, ...opts.config } });
}

export function endpointOf(server: RedisServer): RedisEndpoint {
  return parseRedisUrl(server.url);
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export interface RunningTask {
  task: SyncTask;
  /** Settles when run() does; never rejects (see `error`). */
  done: Promise<void>;
  error: () => unknown;
  finished: () => boolean;
  logs: { level: SyncLogLevel; message: string }[];
  stages: SyncStage[];
  logText: () => string;
}

let taskCounter = 0;

/** Starts `task.run()` in the background and records what it reports. */
export function runTask(opts: Omit<SyncOptions, 'taskId'> & { taskId?: string }): RunningTask {
  const task = new SyncTask({
    taskId: `t${process.pid}x${++taskCounter}`,
    connectionRetryMs: 20_000,
    otherRetryMs: 20_000,
    ...opts,
  });
  const logs: RunningTask['logs'] = [];
  const stages: SyncStage[] = [];
  task.on('log', (level, message) => logs.push({ level, message }));
  task.on('stage', (s) => stages.push(s));
  let error: unknown;
  let finished = false;
  const done = task.run().then(
    () => {
      finished = true;
    },
    (err: unknown) => {
      error = err;
      finished = true;
    },
  );
  return {
    task, done, logs, stages,
    error: () => error,
    finished: () => finished,
    logText: () => logs.map((l) => `${l.level}: ${l.message}`).join('\n'),
  };
}

export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs: number, what: string | (() => string)): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : what()}`);
    await sleep(25);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export async function masterReplOffset(client: Redis): Promise<number> {
  const info = String(await client.info('replication'));
  const m = /^master_repl_offset:(\d+)/m.exec(info);
  if (!m) throw new Error(`no master_repl_offset in INFO replication:\n${info}`);
  return Number(m[1]);
}

/** Waits until the destination has acknowledged everything the source had written when this was called. */
export async function waitCaughtUp(run: RunningTask, source: Redis, timeoutMs = 20_000): Promise<void> {
  const target = await masterReplOffset(source);
  await waitFor(() => {
    if (run.finished()) throw new Error(`the task stopped (${String(run.error())}) before catching up:\n${run.logText()}`);
    return (run.task.progress.checkpoint?.offset ?? -1) >= target;
  }, timeoutMs, () => `the checkpoint (${run.task.progress.checkpoint?.offset}) to reach source offset ${target}; stage ${run.task.progress.stage}`);
}

export async function waitStage(run: RunningTask, stage: SyncStage, timeoutMs = 20_000): Promise<void> {
  await waitFor(() => {
    if (run.finished() && run.task.progress.stage !== stage) {
      throw new Error(`the task ended in stage ${run.task.progress.stage} (${String(run.error())}) before reaching ${stage}:\n${run.logText()}`);
    }
    return run.task.progress.stage === stage;
  }, timeoutMs, `stage ${stage}`);
}

/** Ends the task and waits for run() to return; fails the test if it threw. */
export async function endTask(run: RunningTask): Promise<SyncProgress> {
  await run.task.stop();
  await run.done;
  if (run.error()) throw run.error();
  return run.task.progress;
}

/** The DBs that hold keys on either side. */
export async function keyspaceDbs(...clients: Redis[]): Promise<number[]> {
  const dbs = new Set<number>();
  for (const c of clients) {
    for (const m of String(await c.info('keyspace')).matchAll(/^db(\d+):/gm)) dbs.add(Number(m[1]));
  }
  return [...dbs].sort((a, b) => a - b);
}

/** Key-by-key equality over every DB either side uses, with the differences shown when it fails. */
export async function expectEqual(source: Redis, target: Redis, opts: { dbs?: number[]; dbMap?: Record<number, number> } = {}): Promise<void> {
  const dbs = opts.dbs ?? (await keyspaceDbs(source, target));
  const diffs: KeyDifference[] = await compareKeyByKey(source, target, dbs, { dbMap: opts.dbMap });
  expect(diffs.slice(0, 20)).toEqual([]);
}

/**
 * Key-by-key equality where a stream consumer's seen-time may differ and nothing else.
 * Seen-time is the consumer's last interaction *on that server*: XREADGROUP reaches a
 * replica as XCLAIM, which stamps the replica's own clock (a native Redis replica
 * differs the same way), so after replayed stream reads it cannot be equal to the ms.
 * Everything else of the groups (ids, entries-read, PEL owners, delivery times and
 * counts, consumer names) must still be equal. Returns how many keys differed in seen-time only.
 */
export async function expectEqualExceptSeenTime(
  source: Redis, target: Redis, opts: { dbs?: number[]; dbMap?: Record<number, number> } = {},
): Promise<number> {
  const dbs = opts.dbs ?? (await keyspaceDbs(source, target));
  const diffs = await compareKeyByKey(source, target, dbs, { dbMap: opts.dbMap });
  const seenTimeOnly = diffs.filter((d) => d.kind === 'stream_groups' && withoutSeenTime(d.source) === withoutSeenTime(d.target));
  expect(diffs.filter((d) => !seenTimeOnly.includes(d)).slice(0, 20)).toEqual([]);
  return seenTimeOnly.length;
}

/** XINFO STREAM FULL groups (as compareKeyByKey shows them) with each consumer's seen-time blanked. */
export function withoutSeenTime(groups: string | undefined): string {
  return (groups ?? '').replace(/"seen-time",\d+/g, '"seen-time",0');
}

/**
 * DEBUG DIGEST of the whole dataset (all DBs). The task's record on the destination is
 * deleted first, as Release does: the digest covers every key, the engine's own included.
 */
export async function expectDigestEqual(source: Redis, target: Redis): Promise<void> {
  await dropTaskRecords(target);
  const [a, b] = await Promise.all([debugDigest(source), debugDigest(target)]);
  expect(a).not.toBe('0000000000000000000000000000000000000000');
  expect(b).toBe(a);
}

/** Deletes every task record (DTS_REDIS_CHECKPOINT_*) in every DB of a destination. */
export async function dropTaskRecords(target: Redis): Promise<number> {
  let n = 0;
  for (const db of await keyspaceDbs(target)) {
    await target.select(db);
    const keys = await target.keys(`${CHECKPOINT_PREFIX}*`);
    if (keys.length > 0) n += await target.del(...keys);
  }
  await target.select(0);
  return n;
}

export async function encodingOf(c: Redis, key: string): Promise<string> {
  return String(await c.call('OBJECT', 'ENCODING', key));
}

/**
 * Every encoding Redis 7.0 keeps in memory (and so writes to its RDB), spread over
 * DBs 0, 3 and 15, with expiry on some keys. Returns the encodings seen, by key.
 *
 * Redis 7.0 has no listpack-encoded lists (quicklist only, with packed and plain
 * nodes) and no listpack-encoded sets (intset or hashtable): both came in 7.2.
 */
export async function fillEveryEncoding(c: Redis): Promise<Map<string, string>> {
  const seen = new Map<string, string>();
  const note = async (key: string) => seen.set(key, await encodingOf(c, key));
  const later = Date.now() + 3_600_000;

  await c.select(0);
  // strings: int, embstr, raw; binary key and value
  await c.set('str:int', '12345');
  await c.set('str:neg', '-9007199254740993');
  await c.set('str:embstr', 'hello world');
  await c.set('str:raw', 'r'.repeat(200));
  await c.set(Buffer.from([0x00, 0xff, 0x10, 0x80]), Buffer.from([0xde, 0xad, 0x00, 0xbe, 0xef]));
  await c.set('str:compressible', 'abc'.repeat(5000));
  for (const k of ['str:int', 'str:embstr', 'str:raw']) await note(k);
  await c.set('str:ttl', 'x', 'PXAT', later);
  await c.set('str:ttl-int', '7', 'PXAT', later + 1);

  // lists: quicklist of listpack nodes, a >8KB element, plain nodes, many nodes
  await c.rpush('list:small', 'a', 'b', '1', '2', '-3', '4294967296');
  await c.rpush('list:big-element', 'head', 'e'.repeat(9000), 'tail');
  await c.call('DEBUG', 'QUICKLIST-PACKED-THRESHOLD', '1000');
  await c.rpush('list:plain', 'small', 'p'.repeat(5000), 'again', 'q'.repeat(1500));
  await c.call('DEBUG', 'QUICKLIST-PACKED-THRESHOLD', String(1024 * 1024 * 1024));
  const many: string[] = [];
  for (let i = 0; i < 3000; i++) many.push(i % 3 === 0 ? String(i) : `item-${i}`);
  await c.rpush('list:many-nodes', ...many);
  await c.pexpireat('list:many-nodes', later);
  for (const k of ['list:small', 'list:big-element', 'list:plain', 'list:many-nodes']) await note(k);

  // sets: intset (16/32/64-bit), hashtable
  await c.sadd('set:intset16', 1, 2, 3, -4);
  await c.sadd('set:intset64', 1, 4294967296, -9223372036854775808n.toString());
  await c.sadd('set:hashtable', 'a', 'b', 'c', '1');
  const members: string[] = [];
  for (let i = 0; i < 600; i++) members.push(String(i * 7));
  await c.sadd('set:intset-to-hashtable', ...members); // > set-max-intset-entries (512)
  for (const k of ['set:intset16', 'set:intset64', 'set:hashtable', 'set:intset-to-hashtable']) await note(k);

  // sorted sets: listpack, skiplist; inf/-inf, negative zero, decimals
  await c.zadd('zset:listpack', '-inf', 'minus', 'inf', 'plus', '1.5', 'a', '0', 'zero', '-2.25', 'b', '3.141592653589793', 'pi');
  const zargs: string[] = [];
  for (let i = 0; i < 200; i++) zargs.push(String(i / 3), `m${i}`);
  await c.zadd('zset:skiplist', '-inf', 'lo', 'inf', 'hi', ...zargs);
  await c.zadd('zset:long-member', 1, 'm'.repeat(100)); // > zset-max-listpack-value: skiplist
  for (const k of ['zset:listpack', 'zset:skiplist', 'zset:long-member']) await note(k);

  // hashes: listpack, hashtable
  await c.hset('hash:listpack', 'f1', 'v1', 'n', '42', 'neg', '-1');
  const hargs: string[] = [];
  for (let i = 0; i < 300; i++) hargs.push(`field${i}`, i % 2 ? String(i) : `value-${i}`);
  await c.hset('hash:hashtable', ...hargs);
  await c.hset('hash:long-value', 'f', 'v'.repeat(100));
  await c.pexpireat('hash:hashtable', later + 2);
  for (const k of ['hash:listpack', 'hash:hashtable', 'hash:long-value']) await note(k);

  // streams: several listpack nodes, deletions, groups, PEL, consumers with and without pending entries
  for (let i = 1; i <= 250; i++) await c.xadd('stream:full', `${1000 + i}-${i % 3}`, 'n', String(i), 'pad', 'x'.repeat(i % 17));
  await c.xdel('stream:full', '1005-2', '1010-1', '1100-1');
  await c.xgroup('CREATE', 'stream:full', 'g1', '0');
  await c.xgroup('CREATE', 'stream:full', 'g2', '$');
  await c.xgroup('CREATE', 'stream:full', 'g3', '1050-0');
  await c.xreadgroup('GROUP', 'g1', 'alice', 'COUNT', 5, 'STREAMS', 'stream:full', '>');
  await c.xreadgroup('GROUP', 'g1', 'bob', 'COUNT', 3, 'STREAMS', 'stream:full', '>');
  await c.xack('stream:full', 'g1', '1002-2');
  await c.xgroup('CREATECONSUMER', 'stream:full', 'g1', 'carol');
  await c.xreadgroup('GROUP', 'g3', 'dave', 'COUNT', 2, 'STREAMS', 'stream:full', '>');
  await c.xadd('stream:empty-with-group', '5-5', 'a', 'b');
  await c.xdel('stream:empty-with-group', '5-5');
  await c.xgroup('CREATE', 'stream:empty-with-group', 'g', '$');
  await c.xadd('stream:trimmed', 'MAXLEN', '2', '*', 'a', '1');
  for (let i = 0; i < 5; i++) await c.xadd('stream:trimmed', 'MAXLEN', '2', '*', 'a', String(i));
  await c.pexpireat('stream:trimmed', later + 3);
  for (const k of ['stream:full']) await note(k);

  // other DBs
  await c.select(3);
  await c.set('db3:str', 'three');
  await c.hset('db3:hash', 'a', '1');
  await c.zadd('db3:zset', 1, 'x');
  await c.set('db3:ttl', 'v', 'PXAT', later + 4);
  await c.select(15);
  await c.sadd('db15:set', 'only', 'here');
  await c.rpush('db15:list', 'x');
  await c.select(0);
  return seen;
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

const TSX = path.resolve(import.meta.dirname, '../../node_modules/.bin/tsx');
const CLI = path.resolve(import.meta.dirname, '../cli/sync.ts');

export interface CliProcess {
  child: ChildProcess;
  /** Output so far. */
  stdout: () => string;
  stderr: () => string;
  /** Resolves when the process exits. */
  exited: Promise<CliResult>;
}

/**
 * Starts the sync CLI as `tsx engine/cli/sync.ts …` (what `npm run sync --` runs), or with
 * `direct` as `node --import tsx engine/cli/sync.ts …`: one process, so a signal reaches the
 * CLI itself. (The tsx wrapper relays SIGTERM to its child, but when the child does not
 * confirm within 30 ms — a loaded machine — it SIGKILLs it and exits 143.)
 */
export function spawnCli(args: string[], opts: { direct?: boolean } = {}): CliProcess {
  const child = opts.direct
    ? spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(TSX, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

/** Runs the sync CLI to completion (killed after `timeoutMs`). */
export async function runCli(args: string[], timeoutMs = 30_000): Promise<CliResult> {
  const p = spawnCli(args);
  const timer = setTimeout(() => p.child.kill('SIGKILL'), timeoutMs);
  try {
    const r = await p.exited;
    if (r.signal === 'SIGKILL') throw new Error(`the CLI did not exit within ${timeoutMs} ms:\n${r.stderr}`);
    return r;
  } finally {
    clearTimeout(timer);
  }
}

/** The "error: …" lines the CLI wrote to stderr. */
export function errorLines(r: { stderr: string }): string[] {
  return r.stderr.split('\n').filter((l) => l.startsWith('error: '));
}

/** The last "error: …" line the CLI wrote to stderr. */
export function errorLine(r: { stderr: string }): string {
  return errorLines(r).at(-1) ?? '';
}

/** NDJSON events of `--json` output. */
export function jsonEvents(stdout: string): { type: string; [k: string]: unknown }[] {
  return stdout.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as { type: string });
}
