import { cookies } from 'next/headers';
import { readSessionToken } from '@/lib/auth/cookie';
import { apiDenied } from '@/lib/auth/guard';
import { validateSession } from '@/lib/auth/sessions';
import { db } from '@/lib/db/client';
import { openTaskEventStream } from '@/lib/tasks/details';

export const dynamic = 'force-dynamic';

/**
 * Server-sent events of one task: `snapshot`, then `sample` (each engine sample),
 * `state` (record changes, read once a second) and `logs` (new log lines). The
 * session is checked again every few seconds: the stream ends when it is signed
 * out, revoked or expired, or its user is disabled.
 */
export async function GET(req: Request, { params }: { params: Promise<{ id: string }> }): Promise<Response> {
  const denied = await apiDenied();
  if (denied) return denied;
  const token = await readSessionToken(await cookies());
  const { id } = await params;
  const stillAllowed = async () => (await validateSession(db(), token)) !== null;
  const stream = await openTaskEventStream(id, { signal: req.signal, stillAllowed });
  if (!stream) return Response.json({ error: 'No such task' }, { status: 404 });
  return new Response(stream, {
    headers: {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    },
  });
}
