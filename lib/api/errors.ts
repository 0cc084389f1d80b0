/**
 * The REST API's error answers: `{ "error": { "code", "message", "fields"? } }` with the
 * HTTP status of the code (lib/http/refusal.ts). `code` is stable for scripts; `message`
 * says what to do; `fields` names the invalid input fields ("source.host": "…").
 */
import { z } from 'zod';
import { REFUSAL_CODES, REFUSAL_STATUS, type RefusalCode } from '@/lib/http/refusal';

export class ApiError extends Error {
  constructor(readonly code: RefusalCode, message: string, readonly fields?: Record<string, string>) {
    super(message);
    this.name = 'ApiError';
  }

  get status(): number {
    return REFUSAL_STATUS[this.code];
  }
}

export const errorBodySchema = z.object({
  error: z.object({
    code: z.enum(REFUSAL_CODES as [RefusalCode, ...RefusalCode[]]),
    message: z.string(),
    fields: z.record(z.string(), z.string()).optional(),
  }),
}).meta({ id: 'Error' });

export function errorResponse(err: ApiError): Response {
  return Response.json(
    { error: { code: err.code, message: err.message, ...(err.fields ? { fields: err.fields } : {}) } },
    { status: err.status, headers: { 'Cache-Control': 'no-store' } },
  );
}

/** An action's `{ ok: false, message, code }` as an ApiError. */
export function refused(r: { message: string; code: RefusalCode }): ApiError {
  return new ApiError(r.code, r.message);
}

/** Input errors (the wizard's `FieldErrors`): the whole-form one (`_`) as the message. */
export function invalid(fields: Record<string, string>): ApiError {
  const { _: whole, ...rest } = fields;
  const first = Object.entries(rest)[0];
  const message = whole ?? (first ? `${first[0]}: ${first[1]}` : 'The request is not valid.');
  return new ApiError(whole === 'This task no longer exists.' ? 'not_found' : 'invalid_request', message, Object.keys(rest).length ? rest : undefined);
}
