import { apiDenied } from '@/lib/auth/guard';
import { readTaskLiveView } from '@/lib/tasks/details';

export const dynamic = 'force-dynamic';

/** A task's live view (state, newest logs, recent samples) as JSON; the events route streams the same. */
export async function GET(_req: Request, { params }: { params: Promise<{ id: string }> }): Promise<Response> {
  const denied = await apiDenied();
  if (denied) return denied;
  const { id } = await params;
  const view = await readTaskLiveView(id);
  if (!view) return Response.json({ error: 'No such task' }, { status: 404 });
  return Response.json(view, { headers: { 'Cache-Control': 'no-store' } });
}
