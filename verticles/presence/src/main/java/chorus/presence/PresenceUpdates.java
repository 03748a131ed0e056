package chorus.presence;

import com.hazelcast.map.EntryProcessor;
import java.util.Map;

/**
 * The only ways the presence map changes: atomic per user on the partition that owns the
 * user, so two nodes changing one user's sockets never lose each other's update. Each is
 * idempotent (opening a socket twice or closing an unknown one changes nothing) and
 * removes the entry when its last socket is gone. Each returns whether the user is online after it.
 */
final class PresenceUpdates {
  private PresenceUpdates() {}

  record AddSocket(String nodeId, String socketId) implements EntryProcessor<String, UserSockets, Boolean> {
    @Override
    public Boolean process(Map.Entry<String, UserSockets> entry) {
      UserSockets sockets = entry.getValue() == null ? new UserSockets() : entry.getValue();
      sockets.add(nodeId, socketId);
      entry.setValue(sockets);
      return true;
    }
  }

  record RemoveSocket(String nodeId, String socketId) implements EntryProcessor<String, UserSockets, Boolean> {
    @Override
    public Boolean process(Map.Entry<String, UserSockets> entry) {
      UserSockets sockets = entry.getValue();
      if (sockets == null) {
        return false;
      }
      if (sockets.remove(nodeId, socketId)) {
        entry.setValue(sockets.isEmpty() ? null : sockets);
      }
      return !sockets.isEmpty();
    }
  }

  /** A node is gone: forget every socket it held. */
  record RemoveNode(String nodeId) implements EntryProcessor<String, UserSockets, Boolean> {
    @Override
    public Boolean process(Map.Entry<String, UserSockets> entry) {
      UserSockets sockets = entry.getValue();
      if (sockets == null) {
        return false;
      }
      if (sockets.removeNode(nodeId)) {
        entry.setValue(sockets.isEmpty() ? null : sockets);
      }
      return !sockets.isEmpty();
    }
  }
}
