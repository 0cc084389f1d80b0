import { apiDenied } from '@/lib/auth/guard';
import { listFilterFromParams, listTasks } from '@/lib/tasks/queries';

export const dynamic = 'force-dynamic';

/** The task list of a region (?region=&status=&q=), polled by the Data Synchronization Tasks page. */
export async function GET(req: Request): Promise<Response> {
  const denied = await apiDenied();
  if (denied) return denied;
  const tasks = await listTasks(listFilterFromParams(new URL(req.url).searchParams));
  return Response.json({ tasks }, { headers: { 'Cache-Control': 'no-store' } });
}
