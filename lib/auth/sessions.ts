/**
 * Server-side sessions. A sign-in creates a row keyed by the sha256 of a random
 * token; the browser holds the token only inside a cookie sealed by iron-session
 * (lib/auth/cookie.ts). A session ends when it is signed out, after
 * DTS_SESSION_IDLE_MINUTES without activity, DTS_SESSION_MAX_HOURS after sign-in,
 * or when its user is disabled, deleted or has the password changed or reset.
 */
import crypto from 'node:crypto';
import type { PrismaClient } from '@/lib/db/client';
import { idleTimeoutMs, maxSessionMs } from './config';
import { isRole, type Role } from './roles';

export interface SessionUser {
  id: string;
  username: string;
  role: Role;
  mustChangePassword: boolean;
}

export interface ActiveSession {
  /** The row id (sha256 of the token). */
  id: string;
  user: SessionUser;
  createdAt: Date;
  lastSeenAt: Date;
}

/** How often a session's last activity is written at most (fewer writes under navigation). */
export const TOUCH_EVERY_MS = 15_000;

export function tokenHash(token: string): string {
  return crypto.createHash('sha256').update(token).digest('hex');
}

export async function createSession(prisma: PrismaClient, userId: string, meta: { address?: string | null; userAgent?: string | null } = {}): Promise<string> {
  const token = crypto.randomBytes(32).toString('base64url');
  await prisma.session.create({
    data: { id: tokenHash(token), userId, address: meta.address ?? null, userAgent: meta.userAgent?.slice(0, 300) ?? null },
  });
  return token;
}

export interface ValidateOptions {
  now?: number;
  /** Counts this request as activity (moves lastSeenAt). */
  touch?: boolean;
  idleMs?: number;
  maxMs?: number;
}

/** The session a token names, or null when there is none or it has ended (an ended one is deleted). */
export async function validateSession(prisma: PrismaClient, token: string | undefined | null, opts: ValidateOptions = {}): Promise<ActiveSession | null> {
  if (!token || typeof token !== 'string') return null;
  const now = opts.now ?? Date.now();
  const id = tokenHash(token);
  const row = await prisma.session.findUnique({
    where: { id },
    include: { user: { select: { id: true, username: true, role: true, disabled: true, mustChangePassword: true } } },
  });
  if (!row) return null;
  const idle = now - row.lastSeenAt.getTime() > (opts.idleMs ?? idleTimeoutMs());
  const tooOld = now - row.createdAt.getTime() > (opts.maxMs ?? maxSessionMs());
  if (idle || tooOld || row.user.disabled || !isRole(row.user.role)) {
    await prisma.session.deleteMany({ where: { id } });
    return null;
  }
  let lastSeenAt = row.lastSeenAt;
  if (opts.touch && now - lastSeenAt.getTime() >= TOUCH_EVERY_MS) {
    lastSeenAt = new Date(now);
    await prisma.session.updateMany({ where: { id }, data: { lastSeenAt } });
  }
  const { id: userId, username, role, mustChangePassword } = row.user;
  return { id, createdAt: row.createdAt, lastSeenAt, user: { id: userId, username, role: role as Role, mustChangePassword } };
}

export async function revokeSession(prisma: PrismaClient, token: string | undefined | null): Promise<void> {
  if (token) await prisma.session.deleteMany({ where: { id: tokenHash(token) } });
}

/** Ends every session of a user, except the one with row id `keep` (the caller's own, after a password change). */
export async function revokeUserSessions(prisma: PrismaClient, userId: string, keep?: string): Promise<number> {
  const r = await prisma.session.deleteMany({ where: { userId, ...(keep ? { id: { not: keep } } : {}) } });
  return r.count;
}

/** Deletes sessions that can no longer be used (run now and then). */
export async function pruneSessions(prisma: PrismaClient, now = Date.now()): Promise<number> {
  const r = await prisma.session.deleteMany({
    where: { OR: [{ lastSeenAt: { lt: new Date(now - idleTimeoutMs()) } }, { createdAt: { lt: new Date(now - maxSessionMs()) } }] },
  });
  return r.count;
}
