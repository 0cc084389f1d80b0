import { z } from 'zod';
import { REGIONS } from '@/lib/catalog/regions';
import { caPemSchema } from '@/lib/tasks/endpoint';

const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$|^\[?[0-9A-Fa-f:.]+\]?$/;

/** The register / edit instance form. */
export const instanceInputSchema = z.object({
  id: z.string().optional(),
  instanceId: z.string().trim().min(1, 'Enter an Instance ID.').max(64, 'At most 64 characters.')
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'Letters, digits, dot, dash and underscore only.'),
  name: z.string().trim().max(128, 'At most 128 characters.').default(''),
  region: z.string().refine((r) => REGIONS.some((x) => x.id === r), 'Choose a region.'),
  databaseType: z.enum(['Redis', 'Tair']),
  host: z.string().trim().min(1, 'Enter the host name or IP address.').max(255).regex(HOST, 'A host name or IP address, without scheme or port.'),
  port: z.coerce.number({ error: 'Port must be a number from 1 to 65535.' }).int('Port must be a whole number.').min(1, 'Port must be 1–65535.').max(65535, 'Port must be 1–65535.'),
  mode: z.enum(['standalone', 'cluster']),
  /** `<password>` or `<user>:<password>`; blank on edit keeps the stored one. */
  password: z.string().max(1024).default(''),
  clearPassword: z.boolean().default(false),
  tls: z.boolean(),
  /** PEM; blank on edit keeps the stored one. */
  tlsCa: z.union([z.literal(''), caPemSchema]).default(''),
  clearCa: z.boolean().default(false),
});

export type InstanceInput = z.infer<typeof instanceInputSchema>;

export function instanceInputFromForm(form: FormData): unknown {
  const text = (k: string) => (form.get(k) === null ? undefined : String(form.get(k)));
  return {
    id: text('id') || undefined, instanceId: text('instanceId'), name: text('name'), region: text('region'),
    databaseType: text('databaseType'), host: text('host'), port: text('port'), mode: text('mode'),
    password: text('password') ?? '', clearPassword: form.get('clearPassword') === 'on', tls: form.get('encryption') === 'ssl',
    tlsCa: text('tlsCa')?.trim() ?? '', clearCa: form.get('clearCa') === 'on',
  };
}
