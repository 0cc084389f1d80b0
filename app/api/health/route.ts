import { db } from '@/lib/db/client';

export const dynamic = 'force-dynamic';

/**
 * Liveness and database check (public: the start script and the browser tests use it to know the console is
 * up). It says nothing about the records: a stranger learns only that the console answers.
 */
export async function GET(): Promise<Response> {
  await db().$queryRaw`SELECT 1`;
  return Response.json({ ok: true }, { headers: { 'Cache-Control': 'no-store' } });
}
