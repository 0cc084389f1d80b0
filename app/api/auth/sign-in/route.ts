import { cookies, headers } from 'next/headers';
import { clientAddress } from '@/lib/auth/address';
import { writeSessionCookie } from '@/lib/auth/cookie';
import { safeNextPath } from '@/lib/auth/next-path';
import { signIn } from '@/lib/auth/sign-in';
import { signInThrottle } from '@/lib/auth/throttle';
import { recordAudit } from '@/lib/audit';
import { db } from '@/lib/db/client';
import { crossSiteRefusal } from '@/lib/http/same-origin';

export const dynamic = 'force-dynamic';

const NO_STORE = { 'Cache-Control': 'no-store' };

/**
 * Sign in (public): `{ username, password, next }` as JSON (`Content-Type: application/json`, which a
 * form on another site cannot send), from the console's own pages (login CSRF). 200 `{ ok, next }` with
 * the session cookie; 401 for a wrong pair (answered after a delay), 429 while throttled.
 */
export async function POST(req: Request): Promise<Response> {
  const h = await headers();
  const type = (h.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/json') {
    return Response.json({ error: 'Send the username and password as JSON (Content-Type: application/json).' }, { status: 415, headers: NO_STORE });
  }
  const crossSite = crossSiteRefusal(h);
  if (crossSite) return Response.json({ error: `Sign in from the console's own sign-in page: this is ${crossSite}.` }, { status: 403, headers: NO_STORE });
  let body: Record<string, unknown> = {};
  try {
    body = (await req.json()) as Record<string, unknown>;
  } catch {
    return Response.json({ error: 'Send the username and password as JSON.' }, { status: 400, headers: NO_STORE });
  }
  if (!body || typeof body !== 'object') return Response.json({ error: 'Send the username and password as JSON.' }, { status: 400, headers: NO_STORE });
  const address = clientAddress(h);
  const outcome = await signIn(db(), { username: body.username, password: body.password, address, userAgent: h.get('user-agent') },
    { throttle: signInThrottle(), audit: recordAudit });
  if (!outcome.ok) {
    const extra = outcome.retryAfterMs ? { 'Retry-After': String(Math.ceil(outcome.retryAfterMs / 1000)) } : undefined;
    return Response.json({ error: outcome.message }, { status: outcome.status, headers: { ...NO_STORE, ...extra } });
  }
  await writeSessionCookie(await cookies(), outcome.token);
  await recordAudit({ actor: outcome.user, action: 'user.sign-in', target: { type: 'user', id: outcome.user.id, name: outcome.user.username }, address });
  const next = outcome.user.mustChangePassword ? '/account?required=1' : safeNextPath(body.next) ?? '/sync-tasks';
  return Response.json({ ok: true, next, mustChangePassword: outcome.user.mustChangePassword }, { headers: NO_STORE });
}
