import type { InstanceListItem } from '@/lib/instances/queries';
import type { ServerSummary } from '@/lib/redis';
import type { FieldErrors } from '@/lib/tasks/draft';

export type { FieldErrors, InstanceListItem, ServerSummary };

/** Errors of one part of the draft, keyed by the rest of the path. */
export function errorsUnder(errors: FieldErrors, prefix: string): FieldErrors {
  const out: FieldErrors = {};
  for (const [k, v] of Object.entries(errors)) if (k.startsWith(`${prefix}.`)) out[k.slice(prefix.length + 1)] = v;
  return out;
}
