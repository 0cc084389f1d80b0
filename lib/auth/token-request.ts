/**
 * The proxy's check of a request that carries `Authorization: Bearer …` (proxy.ts):
 * a token is accepted on the API (/api/v1) and /metrics only, never for pages or
 * the console's own routes; a refused token of a known user is written to the
 * audit trail (an unknown one is not: that would let anyone fill the trail).
 * The route handler checks the token again through the guard (lib/auth/guard.ts).
 */
import { recordAudit } from '@/lib/audit';
import type { PrismaClient } from '@/lib/db/client';
import { checkApiToken } from './api-tokens';

/** Paths a token may be sent to. */
export function acceptsToken(pathname: string): boolean {
  return pathname.startsWith('/api/v1/') || pathname === '/metrics';
}

const REASON: Record<string, string> = {
  revoked: 'This API token was revoked. Create a new one on the Account page.',
  expired: 'This API token has expired. Create a new one on the Account page.',
  'owner disabled': 'The owner of this API token is disabled.',
};

/** Null when the token may proceed, else the 401 answer. */
export async function refuseToken(prisma: PrismaClient, token: string, method: string, pathname: string, address: string | null): Promise<Response | null> {
  const refuse = (message: string) => Response.json({ error: { code: 'unauthorized', message } }, { status: 401, headers: { 'Cache-Control': 'no-store' } });
  if (!acceptsToken(pathname)) return refuse('API tokens are accepted by /api/v1 and /metrics only; the console itself needs a session.');
  const r = await checkApiToken(prisma, token);
  if (r.ok) return null;
  if (r.user) {
    await recordAudit({
      actor: r.user, action: 'token.refused', target: { type: 'token', id: r.token?.id, name: r.token?.name },
      detail: `${method} ${pathname}: ${r.reason}`, address,
    });
  }
  return refuse(REASON[r.reason] ?? 'This API token is not valid. Send a token created on the Account page (or with npm run token).');
}
