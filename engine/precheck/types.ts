/** Shapes the precheck works with: plain data, no framework types. */
import type { RedisEndpoint as EngineEndpoint } from '../endpoint';
import type { ConflictMode, ReadMethod, SyncType, WriteMethod } from '../sync/types';

export type { ConflictMode, ReadMethod, SyncType } from '../sync/types';

/**
 * One side of a task as the engine sees it: an address, decrypted credentials and
 * the TLS settings the task itself uses (absent: non-encrypted).
 */
export interface RedisEndpoint extends EngineEndpoint {
  /** What the user declared; the topology item checks it against the server. */
  mode: 'standalone' | 'cluster';
}


/** A selected source DB and the destination DB it is written to. */
export interface DbMapping {
  db: number;
  targetDb: number;
}

export interface PrecheckOptions {
  syncTypes: SyncType;
  conflictMode: ConflictMode;
  dbs: DbMapping[];
  /** How the task reads its source (default replication): scan mode has its own permission and notification items. */
  readMethod?: ReadMethod;
  /** Default commands; relay adds the Replication relay item. */
  writeMethod?: WriteMethod;
  /** Why the task's own settings (filters, throttles) keep it from relaying (relay-possible.ts relayRefusal), if they do. */
  relayRefusal?: string;
}

export interface PrecheckInput {
  source: RedisEndpoint;
  target: RedisEndpoint;
  options: PrecheckOptions;
}

export type PrecheckStatus = 'passed' | 'warning' | 'failed';

export type PrecheckItemId =
  | 'source-connectivity'
  | 'target-connectivity'
  | 'source-version'
  | 'version-compat'
  | 'source-psync'
  | 'target-memory'
  | 'target-eviction'
  | 'target-existence'
  | 'source-replication'
  | 'cluster-topology'
  | 'source-modules'
  | 'source-scan'
  | 'source-notifications'
  /** Only for a task whose write method is relay. */
  | 'relay-possible';

export interface PrecheckResult {
  id: PrecheckItemId;
  name: string;
  status: PrecheckStatus;
  /** One line a person understands. */
  reason: string;
  /** Facts observed, one per line. */
  details: string[];
  /** How to fix it (the CONFIG SET that fixes it where one does); empty when passed. */
  fix?: string;
  /** Whether a Failed/Warning result may be ignored (never for connectivity, authentication, permission). */
  ignorable: boolean;
}
