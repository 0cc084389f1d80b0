/**
 * RESP codec benchmark: parse throughput of a large buffer of SET commands (fed in 64 KB
 * chunks, as a socket delivers them) against ioredis's own parser (`redis-parser`, returning
 * Buffers like ours), a 64 MB bulk string split across chunks, and encode throughput.
 *
 *   npx tsx engine/bench/resp.ts
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { RespParser } from '../resp/parser';
import { encodeCommand, encodeCommands } from '../resp/encoder';

interface RedisParserInstance {
  execute(buf: Buffer): void;
}
type RedisParserCtor = new (opts: {
  returnReply(reply: unknown): void;
  returnError(err: Error): void;
  returnFatalError?(err: Error): void;
  returnBuffers?: boolean;
}) => RedisParserInstance;

const CHUNK = 64 * 1024;

function chunks(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < buf.length; i += CHUNK) out.push(buf.subarray(i, i + CHUNK));
  return out;
}

/** Best of `runs` timings in ms. */
function best(runs: number, fn: () => void): number {
  let min = Infinity;
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    fn();
    min = Math.min(min, Number(process.hrtime.bigint() - t) / 1e6);
  }
  return min;
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

export async function run(log: (line: string) => void): Promise<void> {
  const require = createRequire(import.meta.url);
  const RedisParser = require('redis-parser') as RedisParserCtor;

  const COMMANDS = 500_000;
  const value = Buffer.alloc(64, 'v');
  const cmds: Array<Array<string | Buffer>> = [];
  for (let i = 0; i < COMMANDS; i++) cmds.push(['SET', `key:${i.toString().padStart(8, '0')}`, value]);
  const wire = encodeCommands(cmds);
  const parts = chunks(wire);
  const mb = wire.length / (1024 * 1024);
  log(`resp: ${fmt(COMMANDS)} SET commands (64-byte values), ${fmt(mb, 1)} MB in ${parts.length} chunks of 64 KB`);

  let count = 0;
  const parseOurs = () => {
    const parser = new RespParser();
    count = 0;
    const cb = () => {
      count++;
    };
    for (const p of parts) parser.execute(p, cb);
  };
  let theirCount = 0;
  const parseTheirs = () => {
    theirCount = 0;
    const parser = new RedisParser({
      returnReply: () => {
        theirCount++;
      },
      returnError: (err) => {
        throw err;
      },
      returnFatalError: (err) => {
        throw err;
      },
      returnBuffers: true,
    });
    for (const p of parts) parser.execute(p);
  };
  // Alternate the two so that load from other processes hits both alike; keep each one's best.
  let ours = Infinity;
  let theirs = Infinity;
  for (let round = 0; round < 7; round++) {
    ours = Math.min(ours, best(1, parseOurs));
    theirs = Math.min(theirs, best(1, parseTheirs));
  }
  if (count !== COMMANDS) throw new Error(`RespParser returned ${count} values, expected ${COMMANDS}`);
  if (theirCount !== COMMANDS) throw new Error(`redis-parser returned ${theirCount} values, expected ${COMMANDS}`);

  log(`resp parse  RespParser:   ${fmt(mb / (ours / 1000))} MB/s, ${fmt(COMMANDS / (ours / 1000))} commands/s (${fmt(ours, 1)} ms)`);
  log(`resp parse  redis-parser: ${fmt(mb / (theirs / 1000))} MB/s, ${fmt(COMMANDS / (theirs / 1000))} commands/s (${fmt(theirs, 1)} ms)`);
  log(`resp parse  ratio RespParser / redis-parser: ${fmt(theirs / ours, 2)}×`);

  // One 64 MB bulk string arriving in 64 KB reads.
  const big = Buffer.concat([Buffer.from(`$${64 * 1024 * 1024}\r\n`), Buffer.alloc(64 * 1024 * 1024, 'b'), Buffer.from('\r\n')]);
  const bigParts = chunks(big);
  let bigOurs = Infinity;
  let bigTheirs = Infinity;
  for (let round = 0; round < 3; round++) {
    bigOurs = Math.min(bigOurs, best(1, () => {
      const parser = new RespParser();
      for (const p of bigParts) parser.execute(p, () => {});
    }));
    bigTheirs = Math.min(bigTheirs, best(1, () => {
      const parser = new RedisParser({ returnReply: () => {}, returnError: () => {}, returnBuffers: true });
      for (const p of bigParts) parser.execute(p);
    }));
  }
  log(`resp parse  64 MB bulk in 64 KB chunks: RespParser ${fmt(64 / (bigOurs / 1000))} MB/s, redis-parser ${fmt(64 / (bigTheirs / 1000))} MB/s`);

  // Encoding: pipelined batches of 1000 commands, and one command per Buffer.
  const BATCH = 1000;
  let encodedBytes = 0;
  let batched = Infinity;
  let single = Infinity;
  for (let round = 0; round < 5; round++) {
    batched = Math.min(batched, best(1, () => {
      encodedBytes = 0;
      for (let i = 0; i < COMMANDS; i += BATCH) encodedBytes += encodeCommands(cmds.slice(i, i + BATCH)).length;
    }));
    single = Math.min(single, best(1, () => {
      for (let i = 0; i < COMMANDS; i++) encodeCommand(cmds[i]!);
    }));
  }
  const emb = encodedBytes / (1024 * 1024);
  log(`resp encode encodeCommands (batches of ${BATCH}): ${fmt(emb / (batched / 1000))} MB/s, ${fmt(COMMANDS / (batched / 1000))} commands/s`);
  log(`resp encode encodeCommand (one Buffer each):   ${fmt(emb / (single / 1000))} MB/s, ${fmt(COMMANDS / (single / 1000))} commands/s`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  run((line) => console.log(line)).catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
