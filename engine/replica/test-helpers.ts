/**
 * Helpers for the replica-link tests (not a test file itself).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Redis from 'ioredis';
import { isReplicationControl, type ReplCommand, type ReplicaLink } from './link';

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export async function collectRdb(link: ReplicaLink): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of link.rdb()) parts.push(chunk);
  return Buffer.concat(parts);
}

/** Pulls commands from one long-lived iterator of `link.commands()`. */
export class CommandReader {
  private readonly it: AsyncIterator<ReplCommand>;
  readonly all: ReplCommand[] = [];

  constructor(private readonly link: ReplicaLink) {
    this.it = link.commands()[Symbol.asyncIterator]();
  }

  async next(timeoutMs = 10_000): Promise<ReplCommand> {
    const r = await withTimeout(this.it.next(), timeoutMs, 'next replicated command');
    if (r.done) throw new Error('command stream ended');
    this.all.push(r.value);
    return r.value;
  }

  /** Reads until a command ends exactly at `offset` (throws if it passes it). */
  async until(offset: number, timeoutMs = 20_000): Promise<ReplCommand[]> {
    const deadline = Date.now() + timeoutMs;
    const got: ReplCommand[] = [];
    for (;;) {
      const at = got.at(-1)?.offset ?? this.link.deliveredOffset;
      if (at === offset) return got;
      if (at > offset) throw new Error(`passed offset ${offset} (at ${at}) without a command ending there`);
      got.push(await this.next(Math.max(1, deadline - Date.now())));
    }
  }

  async return(): Promise<void> {
    await this.it.return?.();
  }
}

/** Data commands as strings (the master's PING / REPLCONF GETACK filtered out). */
export function dataCommands(cmds: ReplCommand[]): string[] {
  return cmds
    .filter((c) => !isReplicationControl(c.argv))
    .map((c) => c.argv.map((a, i) => (i === 0 ? a.toString().toUpperCase() : a.toString())).join(' '));
}

export async function infoReplication(client: Redis): Promise<Record<string, string>> {
  const text = String(await client.info('replication'));
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

export async function masterOffset(client: Redis): Promise<number> {
  return Number((await infoReplication(client)).master_repl_offset);
}

export async function serverPid(client: Redis): Promise<number> {
  const m = /process_id:(\d+)/.exec(String(await client.info('server')));
  if (!m) throw new Error('no process_id in INFO server');
  return Number(m[1]);
}

export async function waitFor(cond: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
