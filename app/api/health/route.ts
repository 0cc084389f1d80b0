import { db } from '@/lib/db/client';

export const dynamic = 'force-dynamic';

/** Liveness and database check, used by the start script and the browser tests to know the console is up. */
export async function GET(): Promise<Response> {
  const tasks = await db().task.count();
  return Response.json({ ok: true, tasks });
}
