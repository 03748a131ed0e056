package chorus.shared.node;

import io.vertx.core.Future;

/**
 * What the node launcher tells the gateway about the node as a whole, and lets it ask for:
 * the readiness checks and the admin endpoints need the cluster's state and the drain, which
 * only the launcher (it owns the Hazelcast member and every verticle) knows and orchestrates.
 */
public interface NodeControl {

  /** True from the moment a drain starts: readiness is false and new WebSocket upgrades are refused. */
  boolean draining();

  /** This node's view of the cluster; {@code safe} asks every member, so it is never read on an event loop. */
  Future<ClusterView> cluster();

  /** Milliseconds since the node started. */
  long uptimeMs();

  /** Starts the drain (once; a second call returns the same drain); completes when the node has left the cluster. */
  Future<Void> drain();

  /**
   * @param joined the node is a running member of the cluster
   * @param size members this node sees, itself included
   * @param safe no partition is migrating (Hazelcast's cluster-safe state)
   */
  record ClusterView(boolean joined, int size, boolean safe) {}
}
