/**
 * Every request except the sign-in page, the sign-in route and /api/health
 * needs a live session (lib/auth): pages without one are redirected to
 * /sign-in?next=…, route handlers and server actions answer 401. Pages a role
 * may not open redirect to /access-denied; a user whose password was generated
 * or reset is sent to /account first. Pages, actions and handlers check again
 * themselves (lib/auth/guard.ts), and enforce roles for every change.
 * A request with `Authorization: Bearer <API token>` is checked by its token
 * instead (lib/auth/token-request.ts), on /api/v1 and /metrics only.
 */
import { NextResponse, type NextRequest } from 'next/server';
import { bearerToken } from '@/lib/auth/api-tokens';
import { clientAddress } from '@/lib/auth/address';
import { readSessionToken } from '@/lib/auth/cookie';
import { PATH_HEADER } from '@/lib/auth/guard-header';
import { can } from '@/lib/auth/roles';
import { isPublicRequest, pageAbility, PASSWORD_CHANGE_PATHS } from '@/lib/auth/routes';
import { validateSession } from '@/lib/auth/sessions';
import { refuseToken } from '@/lib/auth/token-request';
import { db } from '@/lib/db/client';

export async function proxy(req: NextRequest): Promise<Response> {
  const { pathname } = req.nextUrl;
  const isAction = req.headers.has('next-action');
  const isRead = (req.method === 'GET' || req.method === 'HEAD') && !isAction;
  // /metrics answers like the API (401, not a redirect): a scraper cannot sign in.
  const isApi = pathname === '/api' || pathname.startsWith('/api/') || pathname === '/metrics';
  const url = req.nextUrl.clone();
  url.searchParams.delete('_rsc');
  const here = `${url.pathname}${url.search}`;
  const forward = () => {
    const headers = new Headers(req.headers);
    headers.set(PATH_HEADER, here);
    return NextResponse.next({ request: { headers } });
  };

  if (isPublicRequest(req.method, pathname, isAction)) return forward();

  // An API token (no cookie): /api/v1 and /metrics only; their handlers check it again with the roles.
  const bearer = bearerToken(req.headers.get('authorization'));
  if (bearer !== undefined) return (await refuseToken(db(), bearer, req.method, pathname, clientAddress(req.headers))) ?? forward();

  // Background reads (polling, live events) do not count as activity; pages, actions and changes do.
  const touch = !(isApi && isRead);
  const session = await validateSession(db(), await readSessionToken(req.cookies), { touch });
  if (!session) {
    if (isApi || !isRead) {
      return NextResponse.json({ error: 'Sign in first: this request has no session, or it has ended.' },
        { status: 401, headers: { 'Cache-Control': 'no-store' } });
    }
    const to = new URL('/sign-in', req.url);
    if (pathname !== '/') to.searchParams.set('next', here);
    return NextResponse.redirect(to);
  }
  if (!isApi && isRead) {
    if (session.user.mustChangePassword && !PASSWORD_CHANGE_PATHS.includes(pathname)) {
      return NextResponse.redirect(new URL('/account?required=1', req.url));
    }
    const ability = pageAbility(pathname);
    if (!can(session.user.role, ability)) {
      const to = new URL('/access-denied', req.url);
      to.searchParams.set('need', ability);
      return NextResponse.redirect(to);
    }
  }
  return forward();
}

export const config = {
  // Everything but the build's static files and the icons (the sign-in page shows them too).
  matcher: ['/((?!_next/static|_next/image|favicon.ico|favicon.svg|logo.svg).*)'],
};
