/** DELETE /api/v1/instances/{id}. */
import { apiRoute } from '@/lib/api/handler';
import * as api from '@/lib/api/task-routes';

export const dynamic = 'force-dynamic';

export const DELETE = apiRoute(api.deleteInstanceRoute);
