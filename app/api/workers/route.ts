import { apiDenied } from '@/lib/auth/guard';
import { workerPool } from '@/lib/tasks/workers';

export const dynamic = 'force-dynamic';

/** Distributed mode's workers and their health (null without DTS_QUEUE_URL), polled by the console's pages. */
export async function GET(): Promise<Response> {
  const denied = await apiDenied();
  if (denied) return denied;
  return Response.json({ pool: await workerPool() }, { headers: { 'Cache-Control': 'no-store' } });
}
