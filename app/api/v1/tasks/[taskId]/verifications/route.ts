/** POST /api/v1/tasks/{taskId}/verifications (Verify Now), GET (the runs). */
import { apiRoute } from '@/lib/api/handler';
import * as api from '@/lib/api/task-routes';

export const dynamic = 'force-dynamic';

export const GET = apiRoute(api.listVerifications);
export const POST = apiRoute(api.startVerification);
