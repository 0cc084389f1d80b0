/**
 * Prechecks: can this task succeed? Plain TypeScript over ioredis, usable from
 * the console, the CLI and tests.
 */
export { runPrechecks, runPrecheckItem, precheckPasses, PRECHECK_ITEMS, precheckItemsFor, precheckItemInfo } from './run';
export type { ItemSelection } from './run';
export type { RunPrechecksOptions, PrecheckItemInfo } from './run';
export type {
  RedisEndpoint, PrecheckInput, PrecheckOptions, PrecheckResult, PrecheckStatus, PrecheckItemId, DbMapping, SyncType, ConflictMode,
} from './types';
export { openRedis, closeRedis, ConnectError, addressOf, DEFAULT_TIMEOUT_MS } from './connect';
export type { ConnectFailureKind, OpenOptions } from './connect';
export { parseCredentials, formatCredentials } from './credentials';
export type { Credentials } from './credentials';
export { parseInfo, parseKeyspace, readServerInfo, serverInfoFromFields, compareVersions, rdbVersionOf, formatBytes } from './info';
export type { ServerInfo, DbKeyCount, InfoFields } from './info';
export { clusterShards } from './topology';
export type { ClusterShard } from './topology';
