/** GET /api/v1/tasks/{taskId} (state, progress, offsets, settings), PUT (change settings). */
import { apiRoute } from '@/lib/api/handler';
import * as api from '@/lib/api/task-routes';

export const dynamic = 'force-dynamic';

export const GET = apiRoute(api.getTask);
export const PUT = apiRoute(api.updateTask);
