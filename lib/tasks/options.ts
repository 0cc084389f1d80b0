/**
 * The JSON documents stored on a task (Task.objects / advanced / verification)
 * and the purchase settings, with PRODUCT.md's defaults and ranges.
 */
import { z } from 'zod';
import { CONFLICT_MODES, READ_METHODS, SYNC_TYPES, WRITE_METHODS, type ConflictMode, type ReadMethod, type SyncType } from '@/engine/sync/types';
import { LINK_SPEC_IDS, DEFAULT_LINK_SPEC } from '@/lib/catalog/link-specs';

export { CONFLICT_MODES, READ_METHODS, SYNC_TYPES, type ConflictMode, type ReadMethod, type SyncType };

/** The wizard's "Read Method" (docs/scan-mode.md). */
export const READ_METHOD_LABEL: Record<ReadMethod, string> = {
  replication: 'Replication (PSYNC)',
  scan: 'Scan',
};
export const SYNC_TYPE_LABEL: Record<SyncType, string> = {
  'full+incremental': 'Full Synchronization + Incremental Synchronization',
  full: 'Full Synchronization',
  incremental: 'Incremental Synchronization',
};

export const CONFLICT_MODE_LABEL: Record<ConflictMode, string> = {
  block: 'Precheck And Block',
  ignore: 'Ignore Errors And Continue Execution',
};

const dbIndex = z.number().int('a DB is a whole number').min(0, 'DBs are 0–255').max(255, 'DBs are 0–255');
const prefix = z.string().trim().min(1).max(512);

/** Task.objects: the selected source DBs, each written to a destination DB, and key prefix filters. */
export const objectsSchema = z.object({
  dbs: z.array(z.object({ db: dbIndex, targetDb: dbIndex }))
    .min(1, 'Select at least one DB in Source Objects and move it to Selected Objects.')
    .refine((dbs) => new Set(dbs.map((d) => d.db)).size === dbs.length, 'A DB is selected twice.'),
  keyPrefixes: z.object({
    include: z.array(prefix).max(100).default([]),
    exclude: z.array(prefix).max(100).default([]),
  }).default({ include: [], exclude: [] }),
});
export type TaskObjects = z.infer<typeof objectsSchema>;

const throttle = z.object({
  enabled: z.boolean().default(false),
  rps: z.number().int().min(1, 'RPS must be at least 1').max(10_000_000).default(10_000),
  mbps: z.number().int().min(1, 'MB/s must be at least 1').max(10_000).default(100),
});

/** Task.advanced (PRODUCT.md, "Advanced settings"). */
export const advancedSchema = z.object({
  retryConnectionMinutes: z.number().int().min(10, 'Retry Time for Failed Connections is 10–1440 minutes').max(1440, 'Retry Time for Failed Connections is 10–1440 minutes').default(720),
  retryOtherMinutes: z.number().int().min(1, 'Retry Time for Other Issues is 1–1440 minutes').max(1440, 'Retry Time for Other Issues is 1–1440 minutes').default(10),
  fullThrottle: throttle.default({ enabled: false, rps: 10_000, mbps: 100 }),
  incrementalThrottle: throttle.default({ enabled: false, rps: 10_000, mbps: 100 }),
  ttlExtensionSeconds: z.number().int().min(0, 'The extension cannot be negative').max(31_536_000, 'At most one year (31536000 s)').default(0),
  useSlaveNode: z.boolean().default(false),
  /** How the source is read: by replication (PSYNC), or by SCAN and keyspace notifications for a source that refuses it. */
  readMethod: z.enum(READ_METHODS).default('replication'),
  /** Commands (the engine writes as a client) or Replication relay (the destination replicates through the engine; docs/relay.md). */
  writeMethod: z.enum(WRITE_METHODS).default('commands'),
  environmentTag: z.string().trim().max(64, 'At most 64 characters').default(''),
  monitoring: z.object({
    enabled: z.boolean().default(false),
    delayThresholdSeconds: z.number().int().min(1, 'At least 1 s').max(86_400).default(10),
    statusAlert: z.boolean().default(true),
  }).default({ enabled: false, delayThresholdSeconds: 10, statusAlert: true }),
}).refine((a) => a.retryOtherMinutes < a.retryConnectionMinutes, {
  message: 'Retry Time for Other Issues must be smaller than Retry Time for Failed Connections.',
  path: ['retryOtherMinutes'],
});
export type AdvancedSettings = z.infer<typeof advancedSchema>;

export const VERIFY_MODES = ['full', 'length', 'keys', 'full-length-above'] as const;
export type VerifyMode = (typeof VERIFY_MODES)[number];
export const VERIFY_MODE_LABEL: Record<VerifyMode, string> = {
  full: 'Full value',
  length: 'Value length',
  keys: 'Key existence',
  'full-length-above': 'Full value, length only above the big-key threshold',
};

/** Task.verification (PRODUCT.md, "Data verification"). */
export const verificationSchema = z.object({
  full: z.object({
    enabled: z.boolean().default(true),
    mode: z.enum(VERIFY_MODES).default('full'),
    rounds: z.number().int().min(1, 'Rounds are 1–10').max(10, 'Rounds are 1–10').default(3),
    rateLimit: z.number().int().min(1, 'At least 1 key/s').max(1_000_000).default(5_000),
    bigKeyThreshold: z.number().int().min(1).max(100_000_000).default(16_384),
  }).default({ enabled: true, mode: 'full', rounds: 3, rateLimit: 5_000, bigKeyThreshold: 16_384 }),
  incremental: z.object({ enabled: z.boolean().default(false) }).default({ enabled: false }),
});
export type VerificationSettings = z.infer<typeof verificationSchema>;

export const DEFAULT_OBJECTS: TaskObjects = { dbs: [], keyPrefixes: { include: [], exclude: [] } };
export const DEFAULT_ADVANCED: AdvancedSettings = advancedSchema.parse({});
export const DEFAULT_VERIFICATION: VerificationSettings = verificationSchema.parse({});

/**
 * Settings once the advanced ones change. Choosing the Read Method "Scan" also switches Incremental
 * Data Verification on (the user may switch it off again): scan mode cannot see everything the
 * source does (docs/scan-mode.md), so by default it checks what it wrote.
 */
export function withAdvanced<T extends { advanced: AdvancedSettings; verification: VerificationSettings }>(settings: T, advanced: AdvancedSettings): T {
  const toScan = advanced.readMethod === 'scan' && settings.advanced.readMethod !== 'scan';
  return {
    ...settings,
    advanced,
    verification: toScan ? { ...settings.verification, incremental: { ...settings.verification.incremental, enabled: true } } : settings.verification,
  };
}

/** Step 6. */
export const purchaseSchema = z.object({
  billingMethod: z.literal('PayAsYouGo'),
  resourceGroup: z.literal('default'),
  instanceClass: z.enum(LINK_SPEC_IDS).default(DEFAULT_LINK_SPEC),
  terms: z.literal(true, { error: 'Read and accept the Terms of Service to purchase.' }),
});
export type PurchaseSettings = z.infer<typeof purchaseSchema>;

/** Upgrade Instance Class: the class asked for (the task details page and the REST API). */
export const instanceClassInputSchema = z.object({ instanceClass: z.enum(LINK_SPEC_IDS) });

/** Parses a stored JSON column, falling back to the defaults for an empty or older document. */
export function parseStored<T>(schema: z.ZodType<T>, json: string, fallback: T): T {
  try {
    const r = schema.safeParse(JSON.parse(json));
    return r.success ? r.data : fallback;
  } catch {
    return fallback;
  }
}
