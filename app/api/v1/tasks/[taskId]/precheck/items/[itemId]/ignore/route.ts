/** POST /api/v1/tasks/{taskId}/precheck/items/{itemId}/ignore. */
import { apiRoute } from '@/lib/api/handler';
import * as api from '@/lib/api/task-routes';

export const dynamic = 'force-dynamic';

export const POST = apiRoute(api.ignorePrecheckItem);
