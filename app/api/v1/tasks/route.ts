/** GET /api/v1/tasks (a page of tasks), POST /api/v1/tasks (create). Operations: lib/api/operations.ts. */
import { apiRoute } from '@/lib/api/handler';
import * as api from '@/lib/api/task-routes';

export const dynamic = 'force-dynamic';

export const GET = apiRoute(api.listTasks);
export const POST = apiRoute(api.createTask);
