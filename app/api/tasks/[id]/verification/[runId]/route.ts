import { apiDenied } from '@/lib/auth/guard';
import { readVerificationRun } from '@/lib/tasks/verification';

export const dynamic = 'force-dynamic';

/** One data verification run of the task: every stored round with its per-DB results and differing keys. */
export async function GET(_req: Request, { params }: { params: Promise<{ id: string; runId: string }> }): Promise<Response> {
  const denied = await apiDenied();
  if (denied) return denied;
  const { id, runId } = await params;
  const run = await readVerificationRun(id, runId);
  if (!run) return Response.json({ error: 'No such verification run' }, { status: 404 });
  return Response.json(run, { headers: { 'Cache-Control': 'no-store' } });
}
