/**
 * Every server action of the console (every export of every 'use server' module,
 * found by reading the source tree, so a new one cannot be forgotten) refuses a
 * caller without a session, and refuses a viewer every change — checked inside
 * the action itself, not only by the proxy in front of it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sealData } from 'iron-session';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

const env = vi.hoisted(() => {
  const dir = require('node:fs').mkdtempSync(require('node:path').join(require('node:os').tmpdir(), 'dts-guards-'));
  process.env.DATABASE_URL = `file:${dir}/guards.db`;
  process.env.DTS_SESSION_SECRET = 'x'.repeat(44);
  return { dir, cookie: undefined as string | undefined, authorization: undefined as string | undefined };
});

vi.mock('next/headers', () => ({
  cookies: async () => ({
    get: (name: string) => (name === 'dts_session' && env.cookie ? { name, value: env.cookie } : undefined),
    set: () => undefined,
  }),
  headers: async () => new Headers({ 'x-forwarded-for': '127.0.0.1', ...(env.authorization ? { authorization: env.authorization } : {}) }),
}));
vi.mock('next/cache', () => ({ revalidatePath: () => undefined }));

const ROOT = path.resolve(import.meta.dirname, '..', '..');

function serverActionModules(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name !== 'generated' && e.name !== 'node_modules') walk(p);
      } else if (/\.tsx?$/.test(e.name) && !e.name.endsWith('.test.ts') && /^\s*(\/\/[^\n]*\n\s*)*['"]use server['"]/.test(fs.readFileSync(p, 'utf8'))) {
        out.push(p);
      }
    }
  };
  for (const d of ['app', 'lib', 'components']) walk(path.join(ROOT, d));
  return out.sort();
}

/** Actions a viewer may run: its own password and API tokens. */
const VIEW_ACTIONS = new Set(['changePasswordAction', 'createTokenAction', 'revokeTokenAction']);

function refusalText(result: unknown): string | undefined {
  if (!result || typeof result !== 'object') return undefined;
  const r = result as { ok?: boolean; message?: string; errors?: { _?: string } };
  if (r.ok === true) return undefined;
  return r.message ?? r.errors?._;
}

async function outcome(fn: (...args: unknown[]) => Promise<unknown>): Promise<string> {
  try {
    return refusalText(await fn('dtsguardtask01', 'end')) ?? 'ALLOWED';
  } catch (err) {
    return (err as Error).name === 'AccessError' ? (err as Error).message : `THREW ${(err as Error).message}`;
  }
}

let prisma: import('@/lib/db/client').PrismaClient;
let viewerCookie = '';
let viewerToken = '';
let revokedToken = '';
let actions: { name: string; fn: (...args: unknown[]) => Promise<unknown> }[] = [];

beforeAll(async () => {
  const { db } = await import('@/lib/db/client');
  const { createSession } = await import('./sessions');
  prisma = db();
  const viewer = await prisma.user.create({ data: { username: 'vi', role: 'viewer', passwordHash: 'x' } });
  await prisma.task.create({ data: { id: 'dtsguardtask01', name: 'guarded', region: 'local', status: 'Running', source: '{}', target: '{}' } });
  const token = await createSession(prisma, viewer.id);
  viewerCookie = await sealData({ t: token }, { password: process.env.DTS_SESSION_SECRET!, ttl: 3600 });
  const { createApiToken, revokeApiToken } = await import('./api-tokens');
  const admin = await prisma.user.create({ data: { username: 'ad', role: 'admin', passwordHash: 'x' } });
  viewerToken = (await createApiToken(prisma, admin.id, { name: 'read-only', role: 'viewer' })).token;
  const revoked = await createApiToken(prisma, admin.id, { name: 'old', role: 'admin' });
  await revokeApiToken(prisma, admin.id, revoked.id);
  revokedToken = revoked.token;
  for (const file of serverActionModules()) {
    const mod = (await import(file)) as Record<string, unknown>;
    for (const [name, fn] of Object.entries(mod)) {
      if (typeof fn === 'function') actions.push({ name: `${path.relative(ROOT, file)}#${name}`, fn: fn as never });
    }
  }
});

afterAll(async () => {
  await prisma?.$disconnect();
  fs.rmSync(env.dir, { recursive: true, force: true });
});

describe('server actions', () => {
  it('are found in the source tree', () => {
    const names = actions.map((a) => a.name);
    expect(names).toEqual(expect.arrayContaining(['lib/tasks/actions.ts#performTaskAction', 'lib/users/actions.ts#deleteUserAction', 'lib/instances/actions.ts#deleteInstanceAction']));
    expect(actions.length).toBeGreaterThanOrEqual(18);
  });

  it('refuse a caller without a session', async () => {
    env.cookie = undefined;
    for (const a of actions) expect(await outcome(a.fn), a.name).toBe('Your session has ended. Sign in again.');
    env.cookie = 'Fe26.2*forged*cookie';
    for (const a of actions) expect(await outcome(a.fn), a.name).toBe('Your session has ended. Sign in again.');
  });

  it('refuse a viewer every change, and the task keeps running', async () => {
    env.cookie = viewerCookie;
    for (const a of actions) {
      if (VIEW_ACTIONS.has(a.name.split('#')[1])) continue;
      expect(await outcome(a.fn), a.name).toMatch(/^Your role \(Viewer\) cannot (change tasks or instances|manage users)\./);
    }
    expect((await prisma.task.findUniqueOrThrow({ where: { id: 'dtsguardtask01' } })).status).toBe('Running');
    expect(await prisma.auditLog.count()).toBe(0);
  });

  it("treat an API token as a session of its role: an admin's viewer token is refused every change, a revoked one is no session", async () => {
    env.cookie = viewerCookie;
    env.authorization = `Bearer ${revokedToken}`;
    // The token decides, not the cookie beside it.
    for (const a of actions) expect(await outcome(a.fn), a.name).toBe('Your session has ended. Sign in again.');
    env.authorization = `Bearer ${viewerToken}`;
    for (const a of actions) {
      if (VIEW_ACTIONS.has(a.name.split('#')[1])) continue;
      expect(await outcome(a.fn), a.name).toMatch(/^Your role \(Viewer\) cannot (change tasks or instances|manage users)\./);
    }
    env.authorization = undefined;
    expect((await prisma.task.findUniqueOrThrow({ where: { id: 'dtsguardtask01' } })).status).toBe('Running');
    expect(await prisma.auditLog.count()).toBe(0);
  });
});
