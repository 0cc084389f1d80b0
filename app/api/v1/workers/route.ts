/** GET /api/v1/workers: distributed mode's workers and their health. */
import { apiRoute } from '@/lib/api/handler';
import * as api from '@/lib/api/task-routes';

export const dynamic = 'force-dynamic';

export const GET = apiRoute(api.listWorkersRoute);
