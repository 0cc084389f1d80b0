import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

const env = vi.hoisted(() => {
  const dir = require('node:fs').mkdtempSync(require('node:path').join(require('node:os').tmpdir(), 'dts-tokens-'));
  process.env.DATABASE_URL = `file:${dir}/tokens.db`;
  return { dir };
});

const { db } = await import('@/lib/db/client');
const { bearerToken, checkApiToken, createApiToken, expirySchema, listApiTokens, revokeApiToken, TokenError, validateApiToken } = await import('./api-tokens');
const { tokenHash } = await import('./sessions');
const { runTokenCli } = await import('./token-cli');

let ownerId = '';

beforeAll(async () => {
  ownerId = (await db().user.create({ data: { username: 'otto', role: 'operator', passwordHash: 'x' } })).id;
});
afterAll(async () => {
  await db().$disconnect();
  fs.rmSync(env.dir, { recursive: true, force: true });
});

describe('API tokens', () => {
  it('store only the hash, act as the owner with the token role, and note when they were used', async () => {
    const created = await createApiToken(db(), ownerId, { name: 'ci', role: 'viewer' });
    expect(created.token).toMatch(/^dts_[A-Za-z0-9_-]{43}$/);
    const row = await db().apiToken.findUniqueOrThrow({ where: { id: created.id } });
    expect(row.tokenHash).toBe(tokenHash(created.token));
    expect(JSON.stringify(row)).not.toContain(created.token);
    const s = await validateApiToken(db(), created.token);
    expect(s?.user).toEqual({ id: ownerId, username: 'otto', role: 'viewer', mustChangePassword: false });
    expect(s?.token).toEqual({ id: created.id, name: 'ci' });
    expect((await db().apiToken.findUniqueOrThrow({ where: { id: created.id } })).lastUsedAt).not.toBeNull();
    expect(await validateApiToken(db(), 'dts_forged')).toBeNull();
    expect(await validateApiToken(db(), created.token.slice(4))).toBeNull();
  });

  it('cannot be given a role above the owner, and follow a demotion of the owner', async () => {
    await expect(createApiToken(db(), ownerId, { name: 'too-high', role: 'admin' })).rejects.toBeInstanceOf(TokenError);
    const created = await createApiToken(db(), ownerId, { name: 'ops', role: 'operator' });
    expect((await validateApiToken(db(), created.token))?.user.role).toBe('operator');
    await db().user.update({ where: { id: ownerId }, data: { role: 'viewer' } });
    expect((await validateApiToken(db(), created.token))?.user.role).toBe('viewer');
    await db().user.update({ where: { id: ownerId }, data: { role: 'operator', disabled: true } });
    expect(await checkApiToken(db(), created.token)).toMatchObject({ ok: false, reason: 'owner disabled' });
    await db().user.update({ where: { id: ownerId }, data: { disabled: false } });
  });

  it('are refused once expired or revoked, saying which', async () => {
    const now = Date.now();
    const expiring = await createApiToken(db(), ownerId, { name: 'short', role: 'viewer', expiresInMs: 60_000 }, now);
    expect(await validateApiToken(db(), expiring.token, now + 59_000)).not.toBeNull();
    expect(await checkApiToken(db(), expiring.token, now + 60_000)).toMatchObject({ ok: false, reason: 'expired', user: { username: 'otto' } });
    const revoked = await createApiToken(db(), ownerId, { name: 'gone', role: 'viewer' });
    expect(await revokeApiToken(db(), 'someone-else', revoked.id)).toBeNull();
    expect(await revokeApiToken(db(), ownerId, revoked.id)).toEqual({ name: 'gone' });
    expect(await checkApiToken(db(), revoked.token)).toMatchObject({ ok: false, reason: 'revoked' });
    const states = Object.fromEntries((await listApiTokens(db(), ownerId, now + 61_000)).map((t) => [t.name, t.state]));
    expect(states).toMatchObject({ short: 'expired', gone: 'revoked', ci: 'active' });
  });

  it('read the Bearer header and expiries', () => {
    expect(bearerToken('Bearer dts_abc')).toBe('dts_abc');
    expect(bearerToken('bearer   dts_abc ')).toBe('dts_abc');
    expect(bearerToken('Basic x')).toBeUndefined();
    expect(bearerToken(null)).toBeUndefined();
    expect(expirySchema.parse('30d')).toBe(30 * 86_400_000);
    expect(expirySchema.parse('12h')).toBe(12 * 3_600_000);
    expect(expirySchema.parse('90m')).toBe(90 * 60_000);
    expect(expirySchema.safeParse('soon').success).toBe(false);
    expect(expirySchema.safeParse('0d').success).toBe(false);
  });

  it('are created from the command line: the token alone, with the role asked for, audited', async () => {
    const token = await runTokenCli(['create', '--user', 'otto', '--name', 'deploy', '--role', 'viewer', '--expires', '7d']);
    expect(token).toMatch(/^dts_\S+$/);
    const s = await validateApiToken(db(), token);
    expect(s?.user.role).toBe('viewer');
    const row = await db().apiToken.findUniqueOrThrow({ where: { id: s!.token.id } });
    expect(row.expiresAt!.getTime() - row.createdAt.getTime()).toBeGreaterThan(6.9 * 86_400_000);
    expect(await db().auditLog.findFirst({ where: { action: 'token.create', targetId: row.id } })).toMatchObject({ username: 'otto', address: 'command line' });
    await expect(runTokenCli(['create', '--user', 'otto', '--name', 'x', '--role', 'admin'])).rejects.toThrow(/above its owner/);
    await expect(runTokenCli(['create', '--user', 'nobody', '--name', 'x'])).rejects.toThrow(/No user nobody/);
    expect(await runTokenCli(['revoke', '--user', 'otto', '--id', row.id])).toContain('revoked');
    expect(await validateApiToken(db(), token)).toBeNull();
  });
});
