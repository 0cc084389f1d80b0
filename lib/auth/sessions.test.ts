import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type PrismaClient } from '@/lib/db/client';
import { ensureAdmin } from './bootstrap';
import { verifyPassword } from './password';
import { createSession, pruneSessions, revokeSession, revokeUserSessions, tokenHash, TOUCH_EVERY_MS, validateSession } from './sessions';
import { signIn, WRONG_CREDENTIALS } from './sign-in';
import { SignInThrottle } from './throttle';
import type { AuditInput } from '@/lib/audit';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dts-auth-'));
let prisma: PrismaClient;
let userId = '';
const MIN = 60_000;

beforeAll(async () => {
  prisma = createDb(path.join(dir, 'auth.db'));
  userId = (await prisma.user.create({ data: { username: 'olive', role: 'operator', passwordHash: 'x' } })).id;
});
afterAll(async () => {
  await prisma.$disconnect();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('sessions', () => {
  it('stores only the hash of the token and finds the user by the token', async () => {
    const token = await createSession(prisma, userId, { address: '127.0.0.1', userAgent: 'ua' });
    expect(await prisma.session.findUnique({ where: { id: token } })).toBeNull();
    const s = await validateSession(prisma, token);
    expect(s?.id).toBe(tokenHash(token));
    expect(s?.user).toEqual({ id: userId, username: 'olive', role: 'operator', mustChangePassword: false });
    expect(await validateSession(prisma, 'forged')).toBeNull();
    expect(await validateSession(prisma, undefined)).toBeNull();
  });

  it('end after the idle timeout, and are deleted then', async () => {
    const token = await createSession(prisma, userId);
    const now = Date.now();
    expect(await validateSession(prisma, token, { now: now + 29 * MIN, idleMs: 30 * MIN })).not.toBeNull();
    expect(await validateSession(prisma, token, { now: now + 31 * MIN, idleMs: 30 * MIN })).toBeNull();
    expect(await prisma.session.count({ where: { id: tokenHash(token) } })).toBe(0);
  });

  it('activity moves the idle deadline (written at most every few seconds); plain reads do not', async () => {
    const token = await createSession(prisma, userId);
    const t0 = Date.now();
    await validateSession(prisma, token, { now: t0 + 20 * MIN, idleMs: 30 * MIN }); // a read: no touch
    expect(await validateSession(prisma, token, { now: t0 + 31 * MIN, idleMs: 30 * MIN })).toBeNull();

    const t2 = await createSession(prisma, userId);
    const s1 = await validateSession(prisma, t2, { now: t0 + 20 * MIN, idleMs: 30 * MIN, touch: true });
    expect(s1!.lastSeenAt.getTime()).toBe(t0 + 20 * MIN);
    const s2 = await validateSession(prisma, t2, { now: t0 + 20 * MIN + TOUCH_EVERY_MS - 1, idleMs: 30 * MIN, touch: true });
    expect(s2!.lastSeenAt.getTime()).toBe(t0 + 20 * MIN);
    expect(await validateSession(prisma, t2, { now: t0 + 45 * MIN, idleMs: 30 * MIN })).not.toBeNull();
  });

  it('end at the maximum age however active', async () => {
    const token = await createSession(prisma, userId);
    expect(await validateSession(prisma, token, { now: Date.now() + 13 * 60 * MIN, idleMs: 1e12, maxMs: 12 * 60 * MIN })).toBeNull();
  });

  it('end when the user is disabled, and on revoke', async () => {
    const a = await createSession(prisma, userId);
    const b = await createSession(prisma, userId);
    await revokeSession(prisma, a);
    expect(await validateSession(prisma, a)).toBeNull();
    await prisma.user.update({ where: { id: userId }, data: { disabled: true } });
    expect(await validateSession(prisma, b)).toBeNull();
    await prisma.user.update({ where: { id: userId }, data: { disabled: false } });
    const c = await createSession(prisma, userId);
    const d = await createSession(prisma, userId);
    expect(await revokeUserSessions(prisma, userId, tokenHash(c))).toBeGreaterThanOrEqual(1);
    expect(await validateSession(prisma, c)).not.toBeNull();
    expect(await validateSession(prisma, d)).toBeNull();
  });

  it('prune removes the ones that can no longer be used', async () => {
    const token = await createSession(prisma, userId);
    await prisma.session.update({ where: { id: tokenHash(token) }, data: { lastSeenAt: new Date(Date.now() - 24 * 60 * MIN) } });
    expect(await pruneSessions(prisma)).toBeGreaterThanOrEqual(1);
    expect(await prisma.session.count({ where: { id: tokenHash(token) } })).toBe(0);
  });
});

describe('first start', () => {
  it('generates the admin password, prints it once with a prompt to change it, and never again', async () => {
    const db2 = createDb(path.join(dir, 'first.db'));
    try {
      const lines: string[] = [];
      expect(await ensureAdmin(db2, {}, (l) => lines.push(l))).toBe('created-generated');
      const printed = lines.join('\n');
      const password = /generated password:\n\n {4}(\S+)\n/.exec(printed)?.[1];
      expect(password).toHaveLength(20);
      expect(printed).toMatch(/choose a new one/);
      const admin = await db2.user.findUniqueOrThrow({ where: { username: 'admin' } });
      expect(admin.role).toBe('admin');
      expect(admin.mustChangePassword).toBe(true);
      expect(await verifyPassword(admin.passwordHash, password!)).toBe(true);
      lines.length = 0;
      expect(await ensureAdmin(db2, {}, (l) => lines.push(l))).toBe('exists');
      expect(await ensureAdmin(db2, { DTS_ADMIN_PASSWORD: 'another-password' }, (l) => lines.push(l))).toBe('exists');
      expect(lines).toEqual([]);
      expect(await verifyPassword((await db2.user.findUniqueOrThrow({ where: { username: 'admin' } })).passwordHash, password!)).toBe(true);
    } finally {
      await db2.$disconnect();
    }
  });

  it('takes DTS_ADMIN_PASSWORD without printing it; DTS_ADMIN_RESET=1 resets a lost one', async () => {
    const db3 = createDb(path.join(dir, 'env.db'));
    try {
      const lines: string[] = [];
      expect(await ensureAdmin(db3, { DTS_ADMIN_PASSWORD: 'from-the-env-1' }, (l) => lines.push(l))).toBe('created-from-env');
      expect(lines.join('\n')).not.toContain('from-the-env-1');
      const admin = await db3.user.findUniqueOrThrow({ where: { username: 'admin' } });
      expect(admin.mustChangePassword).toBe(false);
      await expect(ensureAdmin(db3, { DTS_ADMIN_PASSWORD: 'short' })).rejects.toThrow(/DTS_ADMIN_PASSWORD/);
      await db3.user.update({ where: { id: admin.id }, data: { disabled: true } });
      expect(await ensureAdmin(db3, { DTS_ADMIN_PASSWORD: 'recovered-pw-22', DTS_ADMIN_RESET: '1' }, () => {})).toBe('reset-from-env');
      const after = await db3.user.findUniqueOrThrow({ where: { username: 'admin' } });
      expect(after.disabled).toBe(false);
      expect(await verifyPassword(after.passwordHash, 'recovered-pw-22')).toBe(true);
    } finally {
      await db3.$disconnect();
    }
  });
});

describe('sign-in', () => {
  it('one message for a wrong password and an unknown user, each answered after the delay; then locked', async () => {
    const db4 = createDb(path.join(dir, 'signin.db'));
    try {
      await ensureAdmin(db4, { DTS_ADMIN_PASSWORD: 'right-password-1' }, () => {});
      const throttle = new SignInThrottle({ user: { freeFailures: 3, lockMs: 5_000 }, address: { freeFailures: 3, lockMs: 5_000 } });
      const slept: number[] = [];
      const audited: AuditInput[] = [];
      const deps = { throttle, sleep: async (ms: number) => { slept.push(ms); }, audit: async (e: AuditInput) => { audited.push(e); } };
      const attempt = (username: string, password: string) => signIn(db4, { username, password, address: '10.1.1.1' }, deps);
      expect(await attempt('admin', 'wrong')).toEqual({ ok: false, status: 401, message: WRONG_CREDENTIALS });
      expect(await attempt('nobody', 'wrong')).toEqual({ ok: false, status: 401, message: WRONG_CREDENTIALS });
      expect(slept).toEqual([1000, 1000]);
      expect((await attempt('admin', '')).ok).toBe(false);
      expect(await attempt('admin', 'wrong-again')).toMatchObject({ status: 401 });
      // Failures are audited under the name typed, from the address; the third from this address locks it.
      expect(audited.map((e) => [e.action, e.actor?.username, e.address, e.detail])).toEqual([
        ['user.sign-in-failed', 'admin', '10.1.1.1', 'wrong password'],
        ['user.sign-in-failed', 'nobody', '10.1.1.1', 'no such user'],
        ['user.sign-in-failed', 'admin', '10.1.1.1', 'wrong password'],
        ['user.sign-in-locked', 'admin', '10.1.1.1', 'address 10.1.1.1 locked for 5 seconds after 3 failed sign-ins'],
      ]);
      expect(audited[1].actor?.id).toBeNull();
      // Three failures from this address: even the right password waits now.
      const locked = await attempt('admin', 'right-password-1');
      expect(locked).toMatchObject({ ok: false, status: 429, message: 'Too many failed sign-ins. Try again in 5 seconds.' });
      // The username has two failures of its own (under the limit): from another address it signs in.
      expect(await signIn(db4, { username: 'admin', password: 'right-password-1', address: '10.2.2.2' }, deps)).toMatchObject({ ok: true });
      // Three failures for one username, from three addresses, lock that username everywhere.
      for (const address of ['10.3.0.1', '10.3.0.2', '10.3.0.3']) await signIn(db4, { username: 'admin', password: 'bad', address }, deps);
      expect(audited.at(-1)?.detail).toBe('username "admin" locked for 5 seconds after 3 failed sign-ins');
      expect(await signIn(db4, { username: 'admin', password: 'right-password-1', address: '10.4.0.1' }, deps)).toMatchObject({ status: 429 });

      const fresh = { throttle: new SignInThrottle(), sleep: async () => {} };
      const ok = await signIn(db4, { username: 'admin', password: 'right-password-1', address: '10.1.1.1' }, fresh);
      expect(ok.ok).toBe(true);
      if (ok.ok) expect((await validateSession(db4, ok.token))?.user.username).toBe('admin');
      expect((await db4.user.findUniqueOrThrow({ where: { username: 'admin' } })).lastSignInAt).not.toBeNull();

      await db4.user.update({ where: { username: 'admin' }, data: { disabled: true } });
      expect(await signIn(db4, { username: 'admin', password: 'right-password-1', address: '10.1.1.1' }, fresh))
        .toMatchObject({ ok: false, status: 403 });
    } finally {
      await db4.$disconnect();
    }
  });
});
