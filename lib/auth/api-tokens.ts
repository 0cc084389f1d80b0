/**
 * API tokens: for scripts and monitoring, sent as `Authorization: Bearer dts_…` to
 * /api/v1 and /metrics. A token acts as its owner with a role no higher than the
 * owner's (the lower of the two applies, so demoting a user demotes their tokens),
 * passes the same guard and role rules as a session (lib/auth/guard.ts), and is
 * refused once revoked, expired, or its owner disabled. Only its sha256 is stored
 * (like sessions: lib/auth/sessions.ts); the token itself is shown once. No cookie
 * is involved, so a token request has no CSRF surface.
 */
import crypto from 'node:crypto';
import { z } from 'zod';
import type { PrismaClient } from '@/lib/db/client';
import { isRole, ROLES, type Role } from './roles';
import { tokenHash, type ActiveSession } from './sessions';

export const TOKEN_PREFIX = 'dts_';

/** A session made by a token: the guard treats it as any other, the audit names the token. */
export interface TokenSession extends ActiveSession {
  token: { id: string; name: string };
}

export function isTokenSession(s: ActiveSession | null | undefined): s is TokenSession {
  return Boolean(s && 'token' in s);
}

const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

/** The lower of two roles. */
export function lowerRole(a: Role, b: Role): Role {
  return RANK[a] <= RANK[b] ? a : b;
}

/** `30d`, `12h`, `90m` (or a bare number of days) → milliseconds. */
export const expirySchema = z.string().trim().regex(/^\d{1,5}[dhm]?$/, 'An expiry is a number of days (30d), hours (12h) or minutes (90m).')
  .transform((v) => {
    const n = Number.parseInt(v, 10);
    const unit = /[hm]$/.test(v) ? v.slice(-1) : 'd';
    return n * (unit === 'm' ? 60_000 : unit === 'h' ? 3_600_000 : 86_400_000);
  })
  .refine((ms) => ms > 0, 'An expiry must be in the future.');

export const createTokenSchema = z.object({
  name: z.string().trim().min(1, 'Name the token (what uses it, e.g. ci).').max(64, 'At most 64 characters.'),
  role: z.enum(ROLES),
  /** Milliseconds from now; absent: it never expires. */
  expiresInMs: z.number().int().positive().optional(),
});
export type CreateTokenInput = z.infer<typeof createTokenSchema>;

export class TokenError extends Error {}

export interface CreatedToken {
  /** The token itself: shown once, never stored. */
  token: string;
  id: string;
  name: string;
  role: Role;
  expiresAt: Date | null;
}

/** Creates a token for `userId`; refuses a role above the owner's. */
export async function createApiToken(prisma: PrismaClient, userId: string, input: CreateTokenInput, now = Date.now()): Promise<CreatedToken> {
  const user = await prisma.user.findUnique({ where: { id: userId }, select: { role: true, disabled: true, username: true } });
  if (!user || user.disabled || !isRole(user.role)) throw new TokenError('The owner of a token must be an enabled user.');
  if (RANK[input.role] > RANK[user.role]) {
    throw new TokenError(`A token's role cannot be above its owner's: ${user.username} is ${user.role}, so ${input.role} is not possible.`);
  }
  const token = `${TOKEN_PREFIX}${crypto.randomBytes(32).toString('base64url')}`;
  const expiresAt = input.expiresInMs ? new Date(now + input.expiresInMs) : null;
  const row = await prisma.apiToken.create({
    data: { tokenHash: tokenHash(token), prefix: token.slice(0, TOKEN_PREFIX.length + 6), name: input.name, userId, role: input.role, expiresAt },
  });
  return { token, id: row.id, name: row.name, role: input.role, expiresAt };
}

/** The token an `Authorization` header carries: undefined without a Bearer header, '' for an empty one. */
export function bearerToken(header: string | null | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer\s+(.*)$/i.exec(header.trim());
  return m ? m[1].trim() : undefined;
}

/** How often a token's lastUsedAt is written at most. */
const TOUCH_EVERY_MS = 5_000;

export type TokenCheck =
  | { ok: true; session: TokenSession }
  | { ok: false; reason: string; token?: { id: string; name: string }; user?: { id: string; username: string } };

/** Checks a presented token: the session it makes, or why it is refused. */
export async function checkApiToken(prisma: PrismaClient, token: string, now = Date.now()): Promise<TokenCheck> {
  if (!token.startsWith(TOKEN_PREFIX)) return { ok: false, reason: 'not an API token' };
  const row = await prisma.apiToken.findUnique({
    where: { tokenHash: tokenHash(token) },
    include: { user: { select: { id: true, username: true, role: true, disabled: true, mustChangePassword: true } } },
  });
  if (!row) return { ok: false, reason: 'unknown token' };
  const who = { token: { id: row.id, name: row.name }, user: { id: row.user.id, username: row.user.username } };
  if (row.revokedAt) return { ok: false, reason: 'revoked', ...who };
  if (row.expiresAt && row.expiresAt.getTime() <= now) return { ok: false, reason: 'expired', ...who };
  if (row.user.disabled || !isRole(row.user.role) || !isRole(row.role)) return { ok: false, reason: 'owner disabled', ...who };
  if (!row.lastUsedAt || now - row.lastUsedAt.getTime() >= TOUCH_EVERY_MS) {
    await prisma.apiToken.updateMany({ where: { id: row.id }, data: { lastUsedAt: new Date(now) } });
  }
  const { id, username, mustChangePassword } = row.user;
  return {
    ok: true,
    session: {
      id: `token:${row.id}`, createdAt: row.createdAt, lastSeenAt: new Date(now), token: { id: row.id, name: row.name },
      user: { id, username, role: lowerRole(row.role, row.user.role), mustChangePassword },
    },
  };
}

/** The session a token makes, or null. */
export async function validateApiToken(prisma: PrismaClient, token: string, now = Date.now()): Promise<TokenSession | null> {
  const r = await checkApiToken(prisma, token, now);
  return r.ok ? r.session : null;
}

export interface ApiTokenView {
  id: string;
  name: string;
  prefix: string;
  role: Role;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
  /** active | expired | revoked */
  state: 'active' | 'expired' | 'revoked';
}

/** A user's tokens, newest first (never the tokens themselves). */
export async function listApiTokens(prisma: PrismaClient, userId: string, now = Date.now()): Promise<ApiTokenView[]> {
  const rows = await prisma.apiToken.findMany({ where: { userId }, orderBy: { createdAt: 'desc' } });
  const iso = (d: Date | null) => (d ? d.toISOString() : null);
  return rows.map((r) => ({
    id: r.id, name: r.name, prefix: r.prefix, role: isRole(r.role) ? r.role : 'viewer', createdAt: r.createdAt.toISOString(),
    expiresAt: iso(r.expiresAt), revokedAt: iso(r.revokedAt), lastUsedAt: iso(r.lastUsedAt),
    state: r.revokedAt ? 'revoked' : r.expiresAt && r.expiresAt.getTime() <= now ? 'expired' : 'active',
  }));
}

/** Revokes one of `userId`'s tokens; false when it has no such token (or it was revoked already). */
export async function revokeApiToken(prisma: PrismaClient, userId: string, tokenId: string, now = Date.now()): Promise<{ name: string } | null> {
  const row = await prisma.apiToken.findFirst({ where: { id: tokenId, userId, revokedAt: null } });
  if (!row) return null;
  await prisma.apiToken.update({ where: { id: row.id }, data: { revokedAt: new Date(now) } });
  return { name: row.name };
}
