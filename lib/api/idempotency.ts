/**
 * `Idempotency-Key` on create requests: the first request with a key is served and its
 * answer stored (ApiIdempotencyKey); a retry with the same key and body gets that answer
 * again (header `Idempotent-Replayed: true`) instead of a second task. The same key with
 * another body is refused, and so is a retry while the first is still being served.
 * Keys are per user and kept for a day.
 */
import crypto from 'node:crypto';
import { db } from '@/lib/db/client';
import { ApiError } from './errors';

export const IDEMPOTENCY_TTL_MS = 24 * 3_600_000;

function hashOf(body: unknown): string {
  return crypto.createHash('sha256').update(JSON.stringify(body ?? null)).digest('hex');
}

function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && 'code' in err && (err as { code?: unknown }).code === 'P2002';
}

export async function withIdempotency(userId: string, rawKey: string, route: string, body: unknown, run: () => Promise<Response>): Promise<Response> {
  const key = rawKey.trim();
  if (key.length === 0 || key.length > 255) throw new ApiError('invalid_request', 'An Idempotency-Key is 1–255 characters (a UUID is a good one).');
  const requestHash = hashOf(body);
  await db().apiIdempotencyKey.deleteMany({ where: { createdAt: { lt: new Date(Date.now() - IDEMPOTENCY_TTL_MS) } } });
  let rowId: string;
  try {
    rowId = (await db().apiIdempotencyKey.create({ data: { userId, key, route, requestHash } })).id;
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    const prior = await db().apiIdempotencyKey.findUnique({ where: { userId_key: { userId, key } } });
    if (!prior) throw new ApiError('idempotency_key_in_use', 'This Idempotency-Key is being used by another request; retry in a moment.');
    if (prior.route !== route || prior.requestHash !== requestHash) {
      throw new ApiError('idempotency_key_reused', 'This Idempotency-Key was sent before with another request. Use a new key for a new request.');
    }
    if (prior.status === 0) throw new ApiError('idempotency_key_in_use', 'The first request with this Idempotency-Key is still being served; retry in a moment.');
    return new Response(prior.response, {
      status: prior.status, headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', 'Idempotent-Replayed': 'true' },
    });
  }
  let response: Response;
  try {
    response = await run();
  } catch (err) {
    // Not served: the key may be used again.
    await db().apiIdempotencyKey.deleteMany({ where: { id: rowId } });
    throw err;
  }
  const text = await response.clone().text();
  if (response.status >= 500) await db().apiIdempotencyKey.deleteMany({ where: { id: rowId } });
  else await db().apiIdempotencyKey.update({ where: { id: rowId }, data: { status: response.status, response: text } });
  return response;
}
