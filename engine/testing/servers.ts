/**
 * Servers of other versions for the test harness: Redis 6.0–8.x and Valkey 8–9 taken from
 * Debian's packages by `scripts/fetch-servers.mjs` (cached under DTS_SERVERS_DIR). The
 * Vitest global setup fetches the compatibility suite's servers once per run; a test asks
 * `RedisServer.start({ server: 'valkey-9.1' })`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The servers scripts/fetch-servers.mjs knows (see its SERVERS table). */
export type ServerName = 'redis-6.0' | 'redis-7.0' | 'redis-8.0' | 'redis-8.6' | 'valkey-8.0' | 'valkey-8.1' | 'valkey-9.1';

/** The five servers every source × destination pair of the compatibility suite runs. */
export const SUITE_SERVERS: readonly ServerName[] = ['redis-6.0', 'redis-7.0', 'redis-8.0', 'valkey-8.1', 'valkey-9.1'];

/**
 * More versions Debian has, added to the suite where they can be fetched: Redis 8.6 (experimental, RDB 13)
 * and Valkey 8.0 (bookworm-backports). Their pairs are skipped, saying why, when the archive no longer has them.
 */
export const EXTRA_SERVERS: readonly ServerName[] = ['redis-8.6', 'valkey-8.0'];

/** Whether a server was fetched (the extras may not be). */
export function serverAvailable(name: ServerName): boolean {
  return fs.existsSync(path.join(serversDir(), name, 'server.json'));
}

export interface ServerCommand {
  name: ServerName;
  family: 'redis' | 'valkey';
  /** The full version it reports, e.g. "9.1.2". */
  version: string;
  command: string;
  /** Arguments before the server's own (the loader's). */
  args: string[];
  env: Record<string, string>;
  /** Where it came from ("Debian trixie (mirror)", "this machine"). */
  source: string;
}

export function serversDir(): string {
  return process.env.DTS_SERVERS_DIR ?? path.join(os.tmpdir(), 'redis-dts-servers');
}

export class MissingServerError extends Error {
  constructor(readonly server: string, detail: string) {
    super(`the ${server} server is not fetched (${detail}). Fetch it with: node scripts/fetch-servers.mjs ${server}`);
    this.name = 'MissingServerError';
  }
}

/** How to run a fetched server; throws MissingServerError (with the command that fetches it) when absent. */
export function serverCommand(name: ServerName): ServerCommand {
  const file = path.join(serversDir(), name, 'server.json');
  if (!fs.existsSync(file)) {
    const why = process.env.DTS_SERVERS_ERROR ? `the test run's fetch failed: ${process.env.DTS_SERVERS_ERROR}` : `no ${file}`;
    throw new MissingServerError(name, why);
  }
  return JSON.parse(fs.readFileSync(file, 'utf8')) as ServerCommand;
}

/** [major, minor] of a server name ("valkey-9.1" → [9, 1]). */
export function serverRelease(name: ServerName): { family: 'redis' | 'valkey'; major: number; minor: number } {
  const m = /^(redis|valkey)-(\d+)\.(\d+)$/.exec(name)!;
  return { family: m[1] as 'redis' | 'valkey', major: Number(m[2]), minor: Number(m[3]) };
}
