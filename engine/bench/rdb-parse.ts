/**
 * RDB parser benchmark.
 *
 * 1. Throughput: a real redis-server makes an RDB with DEBUG POPULATE 1,000,000 (strings) plus
 *    10,000 listpack hashes and 20 hashtable hashes; the file is parsed from a read stream, and
 *    MB/s and keys/s are reported (cold first run, then the best of 3 warm runs).
 * 2. Memory: an RDB of about 1 GB holding one list of about 500 MB (5.5M elements, made with a
 *    Lua loader) plus 3.5M strings, parsed in a child process from a read stream; peak RSS is
 *    reported against the 200 MB target. This part takes a couple of minutes; skip it with
 *    RDB_BENCH_BIG=0.
 *
 * Generated RDBs live in the harness's temporary server directories and are removed.
 *
 *   npx tsx -e "import('./engine/bench/rdb-parse.ts').then(m=>m.run(console.log))"
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseRdbFile } from '../rdb/parser';
import { RedisServer } from '../testing/redis-server';

const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const MB = 1024 * 1024;

interface ParseStats {
  ms: number;
  bytes: number;
  keys: number;
  bigKeys: number;
  items: number;
}

async function parseFile(file: string): Promise<ParseStats> {
  const t0 = performance.now();
  let keys = 0;
  let bigKeys = 0;
  let items = 0;
  let bytes = 0;
  for await (const batch of parseRdbFile(file)) {
    for (const ev of batch) {
      if (ev.type === 'key') keys++;
      else if (ev.type === 'key-start') bigKeys++;
      else if (ev.type === 'key-batch') items += ev.items.length;
      else if (ev.type === 'eof') {
        if (ev.checksum !== 'verified') throw new Error(`checksum ${ev.checksum}`);
        bytes = ev.bytes;
      }
    }
  }
  return { ms: performance.now() - t0, bytes, keys, bigKeys, items };
}

async function waitSave(client: ReturnType<RedisServer['client']>): Promise<void> {
  await client.call('SAVE');
}

async function throughput(log: (line: string) => void): Promise<void> {
  const server = await RedisServer.start();
  try {
    const c = server.client();
    const t0 = performance.now();
    await c.call('DEBUG', 'POPULATE', '1000000');
    await c.eval(
      `for i = 1, 10000 do
         local t = {}
         for j = 1, 20 do t[#t + 1] = 'field:' .. j; t[#t + 1] = 'value-' .. i .. '-' .. j end
         redis.call('HSET', 'hash:small:' .. i, unpack(t))
       end
       for i = 1, 20 do
         for j = 1, 1000, 100 do
           local t = {}
           for k = j, j + 99 do t[#t + 1] = 'field:' .. k; t[#t + 1] = string.rep('v', 20) .. k end
           redis.call('HSET', 'hash:big:' .. i, unpack(t))
         end
       end
       return 1`,
      0,
    );
    await waitSave(c);
    c.disconnect();
    const file = path.join(server.dir, 'dump.rdb');
    const size = fs.statSync(file).size;
    log(`rdb-parse: 1,010,020 keys (DEBUG POPULATE 1M strings + 10k listpack hashes + 20 hashtable hashes), ` +
      `${fmt(size / MB, 1)} MB RDB, made in ${fmt((performance.now() - t0) / 1000, 1)} s`);
    const runs: ParseStats[] = [];
    for (let i = 0; i < 4; i++) runs.push(await parseFile(file));
    const report = (label: string, s: ParseStats) =>
      log(`  ${label}: ${fmt(s.ms)} ms, ${fmt(s.bytes / MB / (s.ms / 1000), 1)} MB/s, ` +
        `${fmt(s.keys / (s.ms / 1000))} keys/s (${fmt(s.keys)} keys, checksum verified)`);
    report('cold (first run)', runs[0]!);
    report('warm (best of 3)', runs.slice(1).reduce((a, b) => (b.ms < a.ms ? b : a)));
  } finally {
    await server.stop();
  }
}

/** Child process: parse the file, report time and peak RSS as JSON on stdout. */
async function child(file: string): Promise<void> {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 50);
  const stats = await parseFile(file);
  clearInterval(timer);
  peak = Math.max(peak, process.memoryUsage.rss());
  const maxRss = process.resourceUsage().maxRSS * 1024;
  process.stdout.write(JSON.stringify({ ...stats, peakRss: peak, maxRss }) + '\n');
}

async function bigFile(log: (line: string) => void): Promise<void> {
  const server = await RedisServer.start({ config: { rdbcompression: 'no' } });
  try {
    const c = server.client();
    const t0 = performance.now();
    await c.call('DEBUG', 'POPULATE', '3500000', 'key', '120');
    // One list of 5.5M distinct ~95-byte elements (~500 MB), loaded by Lua in 500k slices.
    const pad = 'x'.repeat(80);
    for (let start = 1; start <= 5_500_000; start += 500_000) {
      await c.eval(
        `local pad = ARGV[3]
         local t = {}
         for i = tonumber(ARGV[1]), tonumber(ARGV[2]) do
           t[#t + 1] = 'element:' .. i .. pad
           if #t == 1000 then redis.call('RPUSH', KEYS[1], unpack(t)); t = {} end
         end
         if #t > 0 then redis.call('RPUSH', KEYS[1], unpack(t)) end
         return 1`,
        1,
        'biglist',
        String(start),
        String(start + 499_999),
        pad,
      );
    }
    await waitSave(c);
    c.disconnect();
    const file = path.join(server.dir, 'dump.rdb');
    const size = fs.statSync(file).size;
    log(`rdb-parse big: ${fmt(size / MB)} MB RDB with one ~${fmt(5_500_000 * 95 / MB)} MB list (5.5M elements) ` +
      `and 3.5M strings, made in ${fmt((performance.now() - t0) / 1000, 1)} s`);

    const tsxCli = createRequire(import.meta.url).resolve('tsx/cli');
    const self = fileURLToPath(import.meta.url);
    const out = await new Promise<string>((resolve, reject) => {
      const p = spawn(process.execPath, [tsxCli, self], {
        env: { ...process.env, RDB_BENCH_CHILD: file },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let stdout = '';
      p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      p.on('error', reject);
      p.on('exit', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`child exited with ${code}`))));
    });
    const s = JSON.parse(out.trim().split('\n').at(-1)!) as ParseStats & { peakRss: number; maxRss: number };
    log(`  streamed from a file read stream in ${fmt(s.ms / 1000, 1)} s: ${fmt(s.bytes / MB / (s.ms / 1000), 1)} MB/s, ` +
      `${fmt(s.keys)} small keys + ${s.bigKeys} big key (${fmt(s.items)} elements in batches)`);
    const peak = Math.max(s.peakRss, s.maxRss);
    log(`  peak RSS of the parsing process: ${fmt(peak / MB)} MB (target < 200 MB: ${peak < 200 * MB ? 'met' : 'NOT met'})`);
  } finally {
    await server.stop();
  }
}

export async function run(log: (line: string) => void): Promise<void> {
  await throughput(log);
  if (process.env.RDB_BENCH_BIG === '0') {
    log('rdb-parse big: skipped (RDB_BENCH_BIG=0)');
    return;
  }
  await bigFile(log);
}

if (process.env.RDB_BENCH_CHILD) {
  child(process.env.RDB_BENCH_CHILD).then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
