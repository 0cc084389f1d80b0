import { apiDenied, currentSession } from '@/lib/auth/guard';
import { idleTimeoutMs } from '@/lib/auth/config';

export const dynamic = 'force-dynamic';

/** Who is signed in, and when the session ends without further activity (read by the console's session watcher). */
export async function GET(): Promise<Response> {
  const denied = await apiDenied();
  if (denied) return denied;
  const session = (await currentSession())!;
  const { id, username, role, mustChangePassword } = session.user;
  return Response.json({
    user: { id, username, role, mustChangePassword },
    idleExpiresAt: new Date(session.lastSeenAt.getTime() + idleTimeoutMs()).toISOString(),
  }, { headers: { 'Cache-Control': 'no-store' } });
}
