import { cookies, headers } from 'next/headers';
import { clientAddress } from '@/lib/auth/address';
import { clearSessionCookie, readSessionToken } from '@/lib/auth/cookie';
import { apiDenied, currentUser } from '@/lib/auth/guard';
import { revokeSession } from '@/lib/auth/sessions';
import { recordAudit } from '@/lib/audit';
import { db } from '@/lib/db/client';

export const dynamic = 'force-dynamic';

/** Sign out: ends this session and clears the cookie, then goes to the sign-in page (303 for the header's form). */
export async function POST(): Promise<Response> {
  const denied = await apiDenied();
  if (denied) return denied;
  const user = await currentUser();
  const store = await cookies();
  await revokeSession(db(), await readSessionToken(store));
  await clearSessionCookie(store);
  if (user) await recordAudit({ actor: user, action: 'user.sign-out', target: { type: 'user', id: user.id, name: user.username }, address: clientAddress(await headers()) });
  return new Response(null, { status: 303, headers: { Location: '/sign-in?signedOut=1', 'Cache-Control': 'no-store' } });
}
