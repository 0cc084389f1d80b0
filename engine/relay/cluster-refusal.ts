/**
 * Why a cluster cannot be relayed, in the one wording the precheck's "Replication relay" item, the
 * relayed task, `--write auto` and the console's wizard all use. No imports: the wizard's client
 * code reads it too.
 *
 * A cluster node refuses REPLICAOF ("ERR REPLICAOF not allowed in cluster mode", Redis and Valkey
 * alike): its replicas are made with CLUSTER REPLICATE, of another node of the same cluster only, so
 * the engine cannot make a cluster destination replicate through it. A cluster source has one
 * replication session per master, and the relay passes on one.
 */
export interface ClusterRelayRefusal {
  /** What stands in the way, in words a person understands (a sentence, ending with a full stop). */
  reason: string;
  fix: string;
}

const FIX = 'use the Commands write method, which writes into a cluster as a client (--write commands; --write auto chooses it)';

/** The refusal for a task whose source or destination runs in cluster mode; undefined when both are standalone. */
export function clusterRelayRefusal(sourceCluster: boolean, destinationCluster: boolean): ClusterRelayRefusal | undefined {
  if (destinationCluster) {
    return {
      reason: 'The destination runs in cluster mode, and a cluster node refuses REPLICAOF ("REPLICAOF not allowed in cluster mode"), '
        + 'so it cannot replicate the source through the relay.',
      fix: FIX,
    };
  }
  if (sourceCluster) {
    return {
      reason: 'The source runs in cluster mode: each of its masters has a replication session of its own, and the relay passes on one.',
      fix: FIX,
    };
  }
  return undefined;
}
