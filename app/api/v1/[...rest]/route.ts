/** Anything else under /api/v1: a JSON 404 (or 405) in the API's error shape. */
import { apiRoute } from '@/lib/api/handler';

export const dynamic = 'force-dynamic';

const notFound = apiRoute(async () => undefined);
export { notFound as GET, notFound as POST, notFound as PUT, notFound as DELETE, notFound as PATCH };
