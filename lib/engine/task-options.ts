/**
 * A task record as the engine takes it: endpoints with decrypted passwords (in
 * memory only), the objects filter, retry times, throttles and the link spec.
 */
import fs from 'node:fs';
import type { RedisEndpoint } from '@/engine/endpoint';
import { targetExistence } from '@/engine/precheck/items/existence';
import type { ExistingKeyPolicy, StageThrottles, SyncOptions } from '@/engine/sync/types';
import { LINK_SPECS } from '@/lib/catalog/link-specs';
import { decryptSecret } from '@/lib/secrets';
import { endpointSchema, tlsSettingsOf, type Endpoint } from '@/lib/tasks/endpoint';
import { parsePrecheckDoc } from '@/lib/tasks/precheck-doc';
import {
  advancedSchema, DEFAULT_ADVANCED, DEFAULT_OBJECTS, objectsSchema, parseStored, SYNC_TYPES, type SyncType,
} from '@/lib/tasks/options';

export interface TaskRecord {
  id: string;
  syncTypes: string;
  conflictMode: string;
  instanceClass: string;
  source: string;
  target: string;
  objects: string;
  advanced: string;
  /** The latest precheck document (lib/tasks/precheck-doc.ts). */
  precheck?: string;
}

export function engineEndpoint(e: Endpoint): RedisEndpoint {
  const withPassword = e.authMethod === 'password' && e.passwordEnc;
  return {
    host: e.host,
    port: e.port,
    username: withPassword ? e.username : undefined,
    password: withPassword ? decryptSecret(e.passwordEnc!) : undefined,
    tls: tlsSettingsOf(e),
    audience: 'console',
  };
}

/**
 * "Precheck and Report Errors" stops before writing when the destination holds keys, unless the
 * user ignored the Destination Object Data Existence Check (Confirm Alert Details): then the task
 * goes on and same-name keys are overwritten, as the confirmation said.
 */
function conflictFor(task: TaskRecord): ExistingKeyPolicy {
  if (task.conflictMode !== 'block') return 'overwrite';
  const ignored = parsePrecheckDoc(task.precheck ?? '{}')?.items.some((i) => i.id === targetExistence.id && i.ignored);
  return ignored ? 'overwrite' : 'block';
}

/** The link spec's rate (0: unlimited). */
function linkSpecRps(instanceClass: string): number {
  const max = LINK_SPECS.find((s) => s.id === instanceClass)?.maxRps ?? null;
  return max ?? 0;
}

/** "Enable Throttling for Full / Incremental Data Synchronization": RPS and MB/s per stage. */
function stageThrottles(advanced: typeof DEFAULT_ADVANCED): StageThrottles {
  const of = (t: typeof advanced.fullThrottle) => (t.enabled ? { rps: t.rps, bytesPerSecond: t.mbps * 1024 * 1024 } : undefined);
  return { full: of(advanced.fullThrottle), incremental: of(advanced.incrementalThrottle) };
}

/** Where a relayed task's engine listens for the destination (docs/relay.md: the console's host must be reachable from it). */
export function relayListenFromEnv(env: NodeJS.ProcessEnv = process.env): SyncOptions['relay'] {
  const listen = env.DTS_RELAY_LISTEN?.trim();
  const m = listen ? /^(.*?)(?::(\d+))?$/.exec(listen) : null;
  const host = m?.[1] || undefined;
  const port = m?.[2] ? Number(m[2]) : undefined;
  const announceHost = env.DTS_RELAY_ANNOUNCE?.trim() || undefined;
  const certFile = env.DTS_RELAY_TLS_CERT_FILE?.trim();
  const keyFile = env.DTS_RELAY_TLS_KEY_FILE?.trim();
  const tls = certFile && keyFile ? { cert: fs.readFileSync(certFile, 'utf8'), key: fs.readFileSync(keyFile, 'utf8') } : undefined;
  return host || port || announceHost || tls ? { host, port, announceHost, tls } : undefined;
}

export function syncOptionsFor(task: TaskRecord): SyncOptions {
  const objects = parseStored(objectsSchema, task.objects, DEFAULT_OBJECTS);
  const advanced = parseStored(advancedSchema, task.advanced, DEFAULT_ADVANCED);
  const type: SyncType = (SYNC_TYPES as readonly string[]).includes(task.syncTypes) ? (task.syncTypes as SyncType) : 'full+incremental';
  const source = endpointSchema.parse(JSON.parse(task.source));
  const target = endpointSchema.parse(JSON.parse(task.target));
  return {
    taskId: task.id,
    source: engineEndpoint(source),
    target: engineEndpoint(target),
    sourceCluster: source.mode === 'cluster',
    targetCluster: target.mode === 'cluster',
    useReplicas: advanced.useSlaveNode,
    type,
    read: advanced.readMethod,
    conflict: conflictFor(task),
    filter: {
      dbs: objects.dbs.length > 0 ? objects.dbs.map((d) => d.db) : undefined,
      dbMap: new Map(objects.dbs.filter((d) => d.db !== d.targetDb).map((d) => [d.db, d.targetDb])),
      includePrefixes: objects.keyPrefixes.include,
      excludePrefixes: objects.keyPrefixes.exclude,
    },
    // A relayed task is held to its throttles only: the link spec bounds a client's writes, not a replica's.
    rps: advanced.writeMethod === 'relay' ? undefined : linkSpecRps(task.instanceClass),
    throttle: stageThrottles(advanced),
    writeMethod: advanced.writeMethod,
    relay: advanced.writeMethod === 'relay' ? relayListenFromEnv() : undefined,
    ttlExtendSeconds: advanced.ttlExtensionSeconds,
    connectionRetryMs: advanced.retryConnectionMinutes * 60_000,
    otherRetryMs: advanced.retryOtherMinutes * 60_000,
  };
}
