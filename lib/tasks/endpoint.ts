import { z } from 'zod';

/** One side of a task as stored in Task.source / Task.target (the password is only ever stored encrypted). */
export const endpointSchema = z.object({
  databaseType: z.enum(['Redis', 'Tair']).default('Redis'),
  accessMethod: z.enum(['cloud', 'self-managed']).default('self-managed'),
  region: z.string().default('local'),
  instanceId: z.string().optional(),
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535).default(6379),
  mode: z.enum(['standalone', 'cluster']).default('standalone'),
  authMethod: z.enum(['password', 'password-free']).default('password'),
  username: z.string().optional(),
  passwordEnc: z.string().optional(),
  tls: z.boolean().default(false),
});

export type Endpoint = z.infer<typeof endpointSchema>;

/** How a side is shown in lists: the instance ID when it has one, else host:port. */
export function endpointLabel(json: string): string {
  const parsed = endpointSchema.safeParse(safeJson(json));
  if (!parsed.success) return 'unknown';
  const e = parsed.data;
  return e.instanceId ? e.instanceId : `${e.host}:${e.port}`;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
