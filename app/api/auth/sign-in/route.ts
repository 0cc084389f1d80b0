import { cookies, headers } from 'next/headers';
import { clientAddress } from '@/lib/auth/address';
import { writeSessionCookie } from '@/lib/auth/cookie';
import { signIn } from '@/lib/auth/sign-in';
import { signInThrottle } from '@/lib/auth/throttle';
import { recordAudit } from '@/lib/audit';
import { db } from '@/lib/db/client';

export const dynamic = 'force-dynamic';

function safeNext(next: unknown): string {
  return typeof next === 'string' && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/sign-in') ? next : '/sync-tasks';
}

/**
 * Sign in (public): `{ username, password, next }` as JSON. 200 `{ ok, next }` with the
 * session cookie; 401 for a wrong pair (answered after a delay), 429 while throttled.
 */
export async function POST(req: Request): Promise<Response> {
  let body: Record<string, unknown> = {};
  try {
    body = (await req.json()) as Record<string, unknown>;
  } catch {
    return Response.json({ error: 'Send the username and password as JSON.' }, { status: 400 });
  }
  const h = await headers();
  const address = clientAddress(h);
  const outcome = await signIn(db(), { username: body.username, password: body.password, address, userAgent: h.get('user-agent') },
    { throttle: signInThrottle() });
  if (!outcome.ok) {
    const extra = outcome.retryAfterMs ? { 'Retry-After': String(Math.ceil(outcome.retryAfterMs / 1000)) } : undefined;
    return Response.json({ error: outcome.message }, { status: outcome.status, headers: { 'Cache-Control': 'no-store', ...extra } });
  }
  const proto = h.get('x-forwarded-proto') ?? new URL(req.url).protocol.replace(':', '');
  await writeSessionCookie(await cookies(), outcome.token, proto);
  await recordAudit({ actor: outcome.user, action: 'user.sign-in', target: { type: 'user', id: outcome.user.id, name: outcome.user.username }, address });
  const next = outcome.user.mustChangePassword ? '/account?required=1' : safeNext(body.next);
  return Response.json({ ok: true, next, mustChangePassword: outcome.user.mustChangePassword }, { headers: { 'Cache-Control': 'no-store' } });
}
