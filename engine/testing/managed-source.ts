/**
 * A stand-in for a managed Redis service (ElastiCache, Memorystore, Azure Cache …): a real
 * redis-server that refuses PSYNC, SYNC and CONFIG — renamed away in its config file, the
 * only place rename-command can go — with keyspace notifications set there, as a service's
 * parameter group would.
 */
import { RedisServer, type RedisServerOptions } from './redis-server';

export const MANAGED_SOURCE_CONFIG = [
  'rename-command PSYNC ""',
  'rename-command SYNC ""',
  'rename-command CONFIG ""',
  'notify-keyspace-events KEA',
];

export function startManagedSource(opts: Omit<RedisServerOptions, 'configFile'> = {}): Promise<RedisServer> {
  return RedisServer.start({ ...opts, configFile: MANAGED_SOURCE_CONFIG });
}
