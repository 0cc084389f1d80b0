/**
 * The checks every page, server action and route handler makes (the proxy makes
 * the same sign-in check before any of them runs; these are the second line and
 * the place where roles are enforced).
 *
 * - Pages: `requirePageUser()` — the user, or a redirect to /sign-in.
 * - Server actions: `authorize(ability)` — the user, or a refusal to answer with.
 * - Route handlers: `apiDenied(ability)` — null, or the 401/403 response to return.
 */
import { cookies, headers } from 'next/headers';
import { redirect } from 'next/navigation';
import { cache } from 'react';
import { db } from '@/lib/db/client';
import { bearerToken, validateApiToken } from './api-tokens';
import { readSessionToken } from './cookie';
import { can, refusal, type Ability } from './roles';
import { PATH_HEADER } from './guard-header';
import { safeNextPath } from './next-path';
import { validateSession, type ActiveSession, type SessionUser } from './sessions';

/**
 * The session of this request (read once per request): an API token's when the request
 * carries `Authorization: Bearer …` (then the cookie is not looked at), else the cookie's.
 */
export const currentSession = cache(async (): Promise<ActiveSession | null> => {
  const bearer = bearerToken((await headers()).get('authorization'));
  if (bearer !== undefined) return validateApiToken(db(), bearer);
  const token = await readSessionToken(await cookies());
  return validateSession(db(), token);
});

export async function currentUser(): Promise<SessionUser | null> {
  return (await currentSession())?.user ?? null;
}

export function signInPath(next?: string | null): string {
  const path = safeNextPath(next);
  return path ? `/sign-in?next=${encodeURIComponent(path)}` : '/sign-in';
}

/** Pages and layouts: the signed-in user, or a redirect to the sign-in page. */
export async function requirePageUser(): Promise<SessionUser> {
  const user = await currentUser();
  if (!user) redirect(signInPath((await headers()).get(PATH_HEADER)));
  return user;
}

export type Authorized = { ok: true; user: SessionUser; session: ActiveSession };
export type Refused = { ok: false; status: 401 | 403; message: string };

/** Server actions: whether this request's user may do `ability`. */
export async function authorize(ability: Ability = 'view'): Promise<Authorized | Refused> {
  const session = await currentSession();
  if (!session) return { ok: false, status: 401, message: 'Your session has ended. Sign in again.' };
  const { user } = session;
  if (!can(user.role, ability)) return { ok: false, status: 403, message: refusal(user.role, ability) };
  if (ability !== 'view' && user.mustChangePassword) {
    return { ok: false, status: 403, message: 'Change your password first (Account).' };
  }
  return { ok: true, user, session };
}

/** Route handlers: null when allowed, else the JSON 401/403 response to return. */
export async function apiDenied(ability: Ability = 'view'): Promise<Response | null> {
  const r = await authorize(ability);
  return r.ok ? null : Response.json({ error: r.message }, { status: r.status, headers: { 'Cache-Control': 'no-store' } });
}

/** Server actions whose result has no place for a message: throw instead. */
export class AccessError extends Error {
  constructor(readonly status: 401 | 403, message: string) {
    super(message);
    this.name = 'AccessError';
  }
}

export async function requireAction(ability: Ability): Promise<Authorized> {
  const r = await authorize(ability);
  if (!r.ok) throw new AccessError(r.status, r.message);
  return r;
}

/** The address of this request (audit trail, sign-in throttling). */
export async function requestAddress(): Promise<string> {
  const { clientAddress } = await import('./address');
  return clientAddress(await headers());
}
