/** GET /api/v1/instances, POST /api/v1/instances (register or change). */
import { apiRoute } from '@/lib/api/handler';
import * as api from '@/lib/api/task-routes';

export const dynamic = 'force-dynamic';

export const GET = apiRoute(api.listInstancesRoute);
export const POST = apiRoute(api.createInstance);
