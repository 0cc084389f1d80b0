/**
 * Every request except the sign-in page, the sign-in route and /api/health
 * needs a live session (lib/auth): pages without one are redirected to
 * /sign-in?next=…, route handlers and server actions answer 401. For every page
 * request, whatever its method, a user whose password was generated or reset is
 * sent to /account first and a role that may not open the page to
 * /access-denied. Pages, actions and handlers check again themselves
 * (lib/auth/guard.ts), and enforce roles for every change.
 * A request with `Authorization: Bearer <API token>` is checked by its token
 * instead (lib/auth/token-request.ts), on /api/v1 and /metrics only.
 *
 * It also sets the per-request security headers: the Content-Security-Policy
 * with this response's script nonce (lib/http/security-headers.ts) and, with
 * DTS_HTTPS=1, Strict-Transport-Security.
 */
import crypto from 'node:crypto';
import { NextResponse, type NextRequest } from 'next/server';
import { bearerToken } from '@/lib/auth/api-tokens';
import { clientAddress } from '@/lib/auth/address';
import { HSTS, servedOverHttps } from '@/lib/auth/config';
import { readSessionToken } from '@/lib/auth/cookie';
import { PATH_HEADER } from '@/lib/auth/guard-header';
import { can } from '@/lib/auth/roles';
import { isPublicRequest, pageAbility, PASSWORD_CHANGE_PATHS } from '@/lib/auth/routes';
import { validateSession } from '@/lib/auth/sessions';
import { refuseToken } from '@/lib/auth/token-request';
import { db } from '@/lib/db/client';
import { API_CONTENT_SECURITY_POLICY, pageContentSecurityPolicy } from '@/lib/http/security-headers';

export async function proxy(req: NextRequest): Promise<Response> {
  const { pathname } = req.nextUrl;
  const isAction = req.headers.has('next-action');
  const isRead = (req.method === 'GET' || req.method === 'HEAD') && !isAction;
  // /metrics answers like the API (401, not a redirect): a scraper cannot sign in.
  const isApi = pathname === '/api' || pathname.startsWith('/api/') || pathname === '/metrics';
  const url = req.nextUrl.clone();
  url.searchParams.delete('_rsc');
  const here = `${url.pathname}${url.search}`;
  const nonce = crypto.randomBytes(16).toString('base64');
  const csp = isApi ? API_CONTENT_SECURITY_POLICY : pageContentSecurityPolicy(nonce);
  const secured = (res: NextResponse): NextResponse => {
    res.headers.set('Content-Security-Policy', csp);
    if (servedOverHttps()) res.headers.set('Strict-Transport-Security', HSTS);
    return res;
  };
  const forward = () => {
    const headers = new Headers(req.headers);
    headers.set(PATH_HEADER, here);
    // Next.js takes the nonce for its scripts from the request's CSP header.
    headers.set('Content-Security-Policy', csp);
    return secured(NextResponse.next({ request: { headers } }));
  };
  // A page request other than GET/HEAD is sent on with 303 (the browser then GETs the new place).
  const redirect = (to: URL) => secured(NextResponse.redirect(to, isRead ? 307 : 303));

  if (isPublicRequest(req.method, pathname, isAction)) return forward();

  // An API token (no cookie): /api/v1 and /metrics only; their handlers check it again with the roles.
  const bearer = bearerToken(req.headers.get('authorization'));
  if (bearer !== undefined) return (await refuseToken(db(), bearer, req.method, pathname, clientAddress(req.headers))) ?? forward();

  // Background reads (polling, live events) do not count as activity; pages, actions and changes do.
  const touch = !(isApi && isRead);
  const session = await validateSession(db(), await readSessionToken(req.cookies), { touch });
  if (!session) {
    if (isApi || !isRead) {
      return secured(NextResponse.json({ error: 'Sign in first: this request has no session, or it has ended.' },
        { status: 401, headers: { 'Cache-Control': 'no-store' } }));
    }
    const to = new URL('/sign-in', req.url);
    if (pathname !== '/') to.searchParams.set('next', here);
    return redirect(to);
  }
  // Every page request, whatever its method (a plain POST renders the page too). Server actions check
  // their own role and answer in words (lib/auth/guard.ts authorize), and each page checks its own.
  if (!isApi && !isAction) {
    if (session.user.mustChangePassword && !PASSWORD_CHANGE_PATHS.includes(pathname)) {
      return redirect(new URL('/account?required=1', req.url));
    }
    const ability = pageAbility(pathname);
    if (!can(session.user.role, ability)) {
      const to = new URL('/access-denied', req.url);
      to.searchParams.set('need', ability);
      return redirect(to);
    }
  }
  return forward();
}

export const config = {
  // Everything but the build's static files and the icons (the sign-in page shows them too).
  matcher: ['/((?!_next/static|_next/image|favicon.ico|favicon.svg|logo.svg).*)'],
};
