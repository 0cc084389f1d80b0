import { apiDenied } from '@/lib/auth/guard';
import { listAudit } from '@/lib/audit';

export const dynamic = 'force-dynamic';

/** The audit trail, newest first: ?user=<username>&task=<task id>&before=<entry id>&limit=. */
export async function GET(req: Request): Promise<Response> {
  const denied = await apiDenied();
  if (denied) return denied;
  const q = new URL(req.url).searchParams;
  const task = q.get('task') || undefined;
  const entries = await listAudit({
    username: q.get('user') || undefined,
    ...(task ? { targetType: 'task' as const, targetId: task } : {}),
    before: Number(q.get('before')) || undefined,
    limit: Number(q.get('limit')) || undefined,
  });
  return Response.json({ entries }, { headers: { 'Cache-Control': 'no-store' } });
}
