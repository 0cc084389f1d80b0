import { apiDenied } from '@/lib/auth/guard';
import { readPrecheck } from '@/lib/tasks/precheck';

export const dynamic = 'force-dynamic';

/** The task's latest precheck run, polled by wizard step 5 while it runs. */
export async function GET(_req: Request, { params }: { params: Promise<{ id: string }> }): Promise<Response> {
  const denied = await apiDenied();
  if (denied) return denied;
  const { id } = await params;
  const view = await readPrecheck(id);
  if (!view) return Response.json({ error: 'No such task' }, { status: 404 });
  return Response.json(view, { headers: { 'Cache-Control': 'no-store' } });
}
