/** POST /api/v1/tasks/{taskId}/precheck (run it), GET (its results). */
import { apiRoute } from '@/lib/api/handler';
import * as api from '@/lib/api/task-routes';

export const dynamic = 'force-dynamic';

export const GET = apiRoute(api.getPrecheck);
export const POST = apiRoute(api.startPrecheck);
