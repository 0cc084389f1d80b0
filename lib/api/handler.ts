/**
 * The one wrapper of every /api/v1 route handler: finds the request's operation
 * (lib/api/operations.ts; a route not listed there does not exist), checks access with
 * the console's guard (lib/auth/guard.ts: a token or a session, the same roles),
 * validates the query and body with the operation's zod schemas, runs the handler,
 * answers JSON (errors as `{ error: { code, message } }`), honours `Idempotency-Key`
 * where the operation allows it, and writes every call to the audit trail.
 */
import type { ZodType } from 'zod';
import { recordAudit } from '@/lib/audit';
import { clientAddress } from '@/lib/auth/address';
import { isTokenSession } from '@/lib/auth/api-tokens';
import { authorize, currentSession } from '@/lib/auth/guard';
import type { ActiveSession, SessionUser } from '@/lib/auth/sessions';
import { accessCode } from '@/lib/http/refusal';
import { fieldErrors } from '@/lib/tasks/draft';
import { ApiError, errorResponse } from './errors';
import { withIdempotency } from './idempotency';
import { API_BASE, findOperation, type ApiOperation } from './operations';

export interface ApiContext<Q = Record<string, unknown>, B = unknown> {
  req: Request;
  op: ApiOperation;
  params: Record<string, string>;
  query: Q;
  body: B;
  user: SessionUser;
  session: ActiveSession;
}

type Impl = (ctx: ApiContext<never, never>) => Promise<unknown>;

const NO_STORE = { 'Cache-Control': 'no-store' };

/** A route handler serving the operations its file's path and method stand for. */
export function apiRoute(impl: Impl): (req: Request) => Promise<Response> {
  return async (req) => {
    const url = new URL(req.url);
    const path = url.pathname.startsWith(API_BASE) ? url.pathname.slice(API_BASE.length) : url.pathname;
    let user: SessionUser | null = null;
    let session: ActiveSession | null = null;
    let response: Response;
    try {
      const found = findOperation(req.method, path);
      if (found === 'method') throw new ApiError('method_not_allowed', `${req.method} is not an operation of ${url.pathname}. See /api/v1/openapi.json.`);
      if (!found) throw new ApiError('not_found', `There is no ${url.pathname} in the API. See /api/v1/openapi.json.`);
      const { op, params } = found;
      const auth = await authorize(op.ability);
      if (!auth.ok) {
        // A refused role is audited too (who tried what); no credential at all is not.
        session = await currentSession();
        user = session?.user ?? null;
        throw new ApiError(accessCode(auth.status), auth.message);
      }
      ({ user, session } = auth);
      const query = parseInput(op.query, Object.fromEntries(url.searchParams), 'query');
      const raw = op.body ? await readJson(req) : undefined;
      const body = op.body ? parseInput(op.body, raw, 'body') : undefined;
      const ctx = { req, op, params, query, body, user, session } as ApiContext<never, never>;
      const run = async (): Promise<Response> => {
        const result = await impl(ctx);
        return result instanceof Response ? result : Response.json(result, { status: op.status, headers: NO_STORE });
      };
      const key = req.headers.get('idempotency-key');
      response = op.idempotent && key !== null ? await withIdempotency(user.id, key, `${op.method} ${op.path}`, raw, run) : await run();
    } catch (err) {
      if (!(err instanceof ApiError)) console.error(`API ${req.method} ${url.pathname}:`, err);
      response = errorResponse(err instanceof ApiError ? err
        : new ApiError('internal', `The console could not answer: ${err instanceof Error ? err.message : String(err)}. Its log has the details.`));
    }
    if (user && session) await auditCall(req, user, session, response.status);
    return response;
  };
}

/** One line of the audit trail per API call: who (and with which token), what, and the answer's status. */
export async function auditCall(req: Request, user: SessionUser, session: ActiveSession, status: number): Promise<void> {
  const target = isTokenSession(session)
    ? { type: 'token' as const, id: session.token.id, name: session.token.name }
    : { type: 'user' as const, id: user.id, name: user.username };
  await recordAudit({
    actor: user, action: 'api.request', target, detail: `${req.method} ${new URL(req.url).pathname} → ${status}`, address: clientAddress(req.headers),
  });
}

async function readJson(req: Request): Promise<unknown> {
  const text = await req.text();
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError('invalid_json', 'The request body is not JSON. Send Content-Type: application/json with a JSON object.');
  }
}

function parseInput(schema: ZodType | undefined, value: unknown, where: string): unknown {
  if (!schema) return undefined;
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const fields = fieldErrors(r.error);
  const [first] = Object.entries(fields);
  throw new ApiError('invalid_request', first ? `Invalid ${where}: ${first[0] === '_' ? '' : `${first[0]}: `}${first[1]}` : `Invalid ${where}.`, fields);
}
