/** The wizard's whole input (steps 1–4) and the per-step schemas the server validates before moving on. */
import { z } from 'zod';
import { defaultEndpointInput, endpointInputSchema } from './endpoint-input';
import {
  advancedSchema, CONFLICT_MODES, DEFAULT_ADVANCED, DEFAULT_OBJECTS, DEFAULT_VERIFICATION, objectsSchema, SYNC_TYPES, verificationSchema,
} from './options';

export const connectionStepSchema = z.object({
  taskId: z.string().max(64).optional(),
  region: z.string().min(1).max(64),
  name: z.string().trim().min(1, 'Enter a Task Name.').max(128, 'At most 128 characters.'),
  source: endpointInputSchema,
  target: endpointInputSchema,
});

export const objectsStepSchema = z.object({
  syncTypes: z.enum(SYNC_TYPES),
  conflictMode: z.enum(CONFLICT_MODES),
  objects: objectsSchema,
});

export const taskDraftSchema = connectionStepSchema.extend({
  syncTypes: z.enum(SYNC_TYPES),
  conflictMode: z.enum(CONFLICT_MODES),
  objects: objectsSchema,
  advanced: advancedSchema,
  verification: verificationSchema,
});

export type TaskDraft = z.infer<typeof taskDraftSchema>;
export type ConnectionStepInput = z.infer<typeof connectionStepSchema>;
export type ObjectsStepInput = z.infer<typeof objectsStepSchema>;

/** Field path ("source.host", "advanced.retryOtherMinutes") → message. */
export type FieldErrors = Record<string, string>;

export function fieldErrors(error: z.ZodError): FieldErrors {
  const out: FieldErrors = {};
  for (const issue of error.issues) {
    const key = issue.path.map(String).join('.') || '_';
    out[key] ??= issue.message;
  }
  return out;
}

export function generatedTaskName(now = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `redis-sync-${now.getFullYear()}${pad(now.getMonth() + 1)}${pad(now.getDate())}-${pad(now.getHours())}${pad(now.getMinutes())}${pad(now.getSeconds())}`;
}

export function newTaskDraft(region: string): TaskDraft {
  return {
    region, name: generatedTaskName(), source: defaultEndpointInput(region), target: defaultEndpointInput(region),
    syncTypes: 'full+incremental', conflictMode: 'block', objects: DEFAULT_OBJECTS, advanced: DEFAULT_ADVANCED, verification: DEFAULT_VERIFICATION,
  };
}
