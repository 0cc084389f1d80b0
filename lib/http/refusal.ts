/**
 * Why a request or an action was refused, as a stable code: the REST API answers with it
 * (`{ "error": { "code", "message" } }`, lib/api/) and the server actions' results carry it,
 * so the API maps an action's refusal to its HTTP status without reading its words.
 */
export const REFUSAL_STATUS = {
  invalid_json: 400,
  invalid_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  invalid_state: 409,
  precheck_failed: 409,
  idempotency_key_in_use: 409,
  idempotency_key_reused: 422,
  lag_too_high: 409,
  engine_error: 500,
  internal: 500,
} as const;

export type RefusalCode = keyof typeof REFUSAL_STATUS;
export const REFUSAL_CODES = Object.keys(REFUSAL_STATUS) as RefusalCode[];

/** A refusal of the guard (lib/auth/guard.ts authorize) as a code. */
export function accessCode(status: 401 | 403): RefusalCode {
  return status === 401 ? 'unauthorized' : 'forbidden';
}
