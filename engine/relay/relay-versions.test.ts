/**
 * Replication relay between versions, real servers from Debian's packages: an upgrade (Redis 6.0 →
 * 8.0), a move to Valkey (Redis 7.0 → Valkey 9.1, Valkey 8.1 → 9.1) — each with the compatibility
 * suite's dataset of every type and encoding the source has, a full-only relayed task, and a check by
 * content — and a pair a replica cannot do (Redis 8.0's RDB 12 into Valkey 8.1), refused before
 * anything changes.
 */
import type Redis from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../cli/testing/run-cli';
import { compareContent } from '../compat/testing/content';
import { seedDataset } from '../compat/testing/dataset';
import { hasFeature, parseServerVersion, type ServerVersion } from '../servers/facts';
import { infoReplication } from '../testing/redis-info';
import { RedisServer } from '../testing/redis-server';
import type { ServerName } from '../testing/servers';

const servers: RedisServer[] = [];
const clients: Redis[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.disconnect();
  for (const s of servers.splice(0)) await s.stop();
});

async function start(server: ServerName): Promise<{ s: RedisServer; c: Redis; v: ServerVersion }> {
  const s = await RedisServer.start({ server });
  servers.push(s);
  const c = s.client();
  clients.push(c);
  return { s, c, v: parseServerVersion(String(await c.info('server'))) };
}

const side = (c: Redis, v: ServerVersion) => ({
  c, db: 0, hasPexpiretime: v.product === 'valkey' || v.major >= 7, hasFieldTtl: hasFeature(v, 'fieldTtl'), hasEntriesRead: hasFeature(v, 'streamMetadata'),
});

describe('Replication relay between versions', () => {
  it.each([['redis-6.0', 'redis-8.0'], ['redis-7.0', 'valkey-9.1'], ['valkey-8.1', 'valkey-9.1']] as const)('%s → %s: the snapshot relayed as it is, equal by content', async (from, to) => {
    const src = await start(from);
    const dst = await start(to);
    await seedDataset(src.c, src.v);
    await src.c.select(0);
    const r = await runCli(['--source', src.s.url, '--target', dst.s.url, '--write', 'relay', '--type', 'full'], 60_000);
    expect(r.code, r.stderr).toBe(0);
    expect((await infoReplication(dst.c)).role).toBe('master');
    // As a replica holds them: consumer groups' entries-read are the replica's own (see docs/relay.md).
    expect(await compareContent(side(src.c, src.v), { ...side(dst.c, dst.v), hasEntriesRead: false })).toEqual([]);
  });

  it('Redis 8.0 → Valkey 8.1: refused, naming why, before anything changes', async () => {
    const src = await start('redis-8.0');
    const dst = await start('valkey-8.1');
    await src.c.set('a', '1');
    const r = await runCli(['--source', src.s.url, '--target', dst.s.url, '--write', 'relay']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Valkey 8\.1\.1\) cannot load a snapshot of the source \(Redis 8\.0\.6\) as a replica.*Commands write method/);
    expect((await infoReplication(dst.c)).role).toBe('master');
  });
});
