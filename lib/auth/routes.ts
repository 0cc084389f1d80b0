/**
 * Which requests need no session, and which pages need more than `view`.
 * Read by the proxy (proxy.ts) and by the access-control tests.
 */
import type { Ability } from './roles';

/** Requests answered without a session: the sign-in page and its route, and the start-up probe. */
export const PUBLIC_ROUTES: readonly { method: 'GET' | 'POST'; path: string }[] = [
  { method: 'GET', path: '/sign-in' },
  { method: 'POST', path: '/api/auth/sign-in' },
  { method: 'GET', path: '/api/health' },
];

export function isPublicRequest(method: string, pathname: string, isServerAction: boolean): boolean {
  if (isServerAction) return false;
  const m = method === 'HEAD' ? 'GET' : method;
  const path = pathname.length > 1 ? pathname.replace(/\/+$/, '') : pathname;
  return PUBLIC_ROUTES.some((r) => r.method === m && r.path === path);
}

/** Pages a role needs more than `view` for (the server actions behind them check again). */
export const PAGE_ABILITIES: readonly { pattern: RegExp; ability: Ability }[] = [
  { pattern: /^\/users(\/|$)/, ability: 'manage-users' },
  { pattern: /^\/sync-tasks\/new\/?$/, ability: 'operate' },
  { pattern: /^\/sync-tasks\/[^/]+\/edit\/?$/, ability: 'operate' },
];

export function pageAbility(pathname: string): Ability {
  return PAGE_ABILITIES.find((p) => p.pattern.test(pathname))?.ability ?? 'view';
}

/** Pages a user with a generated or reset password may still open (everything else sends them to Account). */
export const PASSWORD_CHANGE_PATHS = ['/account'];
