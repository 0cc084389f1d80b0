/** GET /metrics: Prometheus text exposition (lib/engine/prometheus.ts); needs an API token (any role) or a session. */
import { auditCall } from '@/lib/api/handler';
import { authorize } from '@/lib/auth/guard';
import { engineManager } from '@/lib/engine/manager';
import { renderMetrics } from '@/lib/engine/prometheus';

export const dynamic = 'force-dynamic';

export async function GET(req: Request): Promise<Response> {
  const auth = await authorize('view');
  if (!auth.ok) return new Response(`${auth.message}\n`, { status: auth.status, headers: { 'Content-Type': 'text/plain; charset=utf-8' } });
  const { contentType, body } = await renderMetrics(engineManager());
  await auditCall(req, auth.user, auth.session, 200);
  return new Response(body, { headers: { 'Content-Type': contentType, 'Cache-Control': 'no-store' } });
}
