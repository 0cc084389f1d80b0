/**
 * The factory that picks a destination writer, standalone or cluster (the
 * interface they share is DestinationWriter in types.ts).
 */
import type { RedisEndpoint } from '../endpoint';
import { ClusterWriter } from './cluster-writer';
import { StandaloneWriter } from './standalone-writer';
import type { DestinationWriter, WriterOptions } from './types';

export type { DestinationWriter } from './types';

export function createDestinationWriter(target: RedisEndpoint, cluster: boolean, opts: WriterOptions): DestinationWriter {
  return cluster ? new ClusterWriter(target, opts) : new StandaloneWriter(target, opts);
}
