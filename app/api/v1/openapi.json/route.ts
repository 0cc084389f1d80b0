/** GET /api/v1/openapi.json: the OpenAPI 3.1 document, generated from the operations' zod schemas. */
import { apiRoute } from '@/lib/api/handler';
import * as api from '@/lib/api/task-routes';

export const dynamic = 'force-dynamic';

export const GET = apiRoute(api.openApi);
