import { apiDenied } from '@/lib/auth/guard';
import { openTaskEventStream } from '@/lib/tasks/details';

export const dynamic = 'force-dynamic';

/**
 * Server-sent events of one task: `snapshot`, then `sample` (each engine sample),
 * `state` (record changes, read once a second) and `logs` (new log lines).
 */
export async function GET(req: Request, { params }: { params: Promise<{ id: string }> }): Promise<Response> {
  const denied = await apiDenied();
  if (denied) return denied;
  const { id } = await params;
  const stream = await openTaskEventStream(id, { signal: req.signal });
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
