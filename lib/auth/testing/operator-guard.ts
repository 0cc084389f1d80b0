/**
 * For unit tests that call server actions directly, outside a request:
 *
 *   vi.mock('@/lib/auth/guard', () => import('@/lib/auth/testing/operator-guard'));
 *
 * makes every action run as a signed-in operator (lib/auth/action-guards.test.ts
 * proves the real guard refuses callers without a session and viewers).
 */
import type { Authorized, Refused } from '../guard';
import { can, refusal, type Ability } from '../roles';
import type { ActiveSession, SessionUser } from '../sessions';

export { PATH_HEADER } from '../guard-header';

export class AccessError extends Error {
  constructor(readonly status: 401 | 403, message: string) {
    super(message);
    this.name = 'AccessError';
  }
}

export function signInPath(): string {
  return '/sign-in';
}

export const TEST_USER: SessionUser = { id: 'test-operator', username: 'test-operator', role: 'operator', mustChangePassword: false };
const session: ActiveSession = { id: 'test-session', user: TEST_USER, createdAt: new Date(0), lastSeenAt: new Date(0) };

export async function currentSession(): Promise<ActiveSession | null> {
  return session;
}

export async function currentUser(): Promise<SessionUser | null> {
  return TEST_USER;
}

export async function requirePageUser(): Promise<SessionUser> {
  return TEST_USER;
}

export async function authorize(ability: Ability = 'view'): Promise<Authorized | Refused> {
  return can(TEST_USER.role, ability) ? { ok: true, user: TEST_USER, session } : { ok: false, status: 403, message: refusal(TEST_USER.role, ability) };
}

export async function requireAction(ability: Ability): Promise<Authorized> {
  const r = await authorize(ability);
  if (!r.ok) throw new AccessError(r.status, r.message);
  return r;
}

export async function apiDenied(): Promise<Response | null> {
  return null;
}

export async function requestAddress(): Promise<string> {
  return '127.0.0.1';
}
