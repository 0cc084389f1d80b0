/** GET /api/v1/tasks/{taskId}/verifications/{runId} (a run with its rounds). */
import { apiRoute } from '@/lib/api/handler';
import * as api from '@/lib/api/task-routes';

export const dynamic = 'force-dynamic';

export const GET = apiRoute(api.getVerification);
