/**
 * What the sync pipeline needs from a destination writer, standalone or cluster,
 * and the factory that picks one.
 */
import type { RedisEndpoint } from '../endpoint';
import type { DestinationCapabilities } from './capabilities';
import { ClusterWriter } from './cluster-writer';
import type { CommandSink } from './key-writer';
import { StandaloneWriter, type StreamPosition, type WriterOptions, type WriterStats } from './standalone-writer';

export interface DestinationWriter extends CommandSink {
  open(): Promise<DestinationCapabilities>;
  /** The source stream reached `mark` with nothing to write there (a dropped command). */
  advance(mark: StreamPosition): void;
  /** Resolves once everything written is acknowledged; throws the error that stops the task. */
  flush(): Promise<void>;
  /** The furthest source position whose writes are all acknowledged. */
  readonly checkpoint: StreamPosition | undefined;
  /** The error that stopped the writer, if any. */
  readonly failed: Error | undefined;
  readonly stats: WriterStats;
  /** Number of destination masters for a cluster; undefined for a standalone destination. */
  readonly masters: number | undefined;
  /** The throttle from now on: commands (records) and bytes per second, 0 = unlimited. */
  setRate(rps: number, bytesPerSecond?: number): void;
  close(): void;
}

export function createDestinationWriter(target: RedisEndpoint, cluster: boolean, opts: WriterOptions): DestinationWriter {
  return cluster ? new ClusterWriter(target, opts) : new StandaloneWriter(target, opts);
}
