export { ReplicaLink, isReplicationControl } from './link';
export type {
  ReplicaLinkOptions, ReplicaTlsOptions, SyncInfo, SyncMode, RdbInfo, ReplCommand, LinkState,
} from './link';
export { LinkError, type LinkErrorCode } from './errors';
export { ByteSpool, type SpoolOptions, type SpoolStats } from './spool';
export { ReplicationFramer, GetackWatch, type FramerHandlers, type RdbFraming } from './framer';
