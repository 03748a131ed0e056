package chorus.presence;

import com.hazelcast.core.ReadOnly;
import com.hazelcast.map.EntryProcessor;
import java.util.ArrayList;
import java.util.Map;

/**
 * The only ways the presence map is read and changed: entry processors, which run on the
 * partition that owns the user, one at a time per key. Two nodes changing one user's
 * sockets at once therefore never lose each other's update (no read-modify-write over the
 * network). Each change is idempotent (opening a socket twice or closing an unknown one
 * changes nothing and writes nothing) and removes the entry with its last socket.
 */
final class PresenceUpdates {
  private PresenceUpdates() {}

  /** Admits a socket unless the user already has {@code max} open anywhere (0 = no limit): one decision per user at a time, cluster-wide. */
  record AddSocket(String nodeId, String socketId, int max) implements EntryProcessor<String, UserSockets, PresenceChange>, PresenceWire {
    AddSocket(String nodeId, String socketId) {
      this(nodeId, socketId, 0);
    }

    @Override
    public PresenceChange process(Map.Entry<String, UserSockets> entry) {
      UserSockets sockets = entry.getValue();
      boolean wasOnline = sockets != null;
      if (max > 0 && sockets != null && sockets.count() >= max && !sockets.contains(nodeId, socketId)) {
        return PresenceChange.REFUSED;
      }
      if (sockets == null) {
        sockets = new UserSockets();
      }
      if (sockets.add(nodeId, socketId)) {
        entry.setValue(sockets);
      }
      return wasOnline ? PresenceChange.UNCHANGED : PresenceChange.CAME_ONLINE;
    }
  }

  record RemoveSocket(String nodeId, String socketId) implements EntryProcessor<String, UserSockets, PresenceChange>, PresenceWire {
    @Override
    public PresenceChange process(Map.Entry<String, UserSockets> entry) {
      UserSockets sockets = entry.getValue();
      return sockets != null && sockets.remove(nodeId, socketId) ? store(entry, sockets) : PresenceChange.UNCHANGED;
    }
  }

  /** A node is gone: forget every socket it held. Run on every entry by each survivor; the first one does the work. */
  record RemoveNode(String nodeId) implements EntryProcessor<String, UserSockets, PresenceChange>, PresenceWire {
    @Override
    public PresenceChange process(Map.Entry<String, UserSockets> entry) {
      UserSockets sockets = entry.getValue();
      return sockets != null && sockets.removeNode(nodeId) ? store(entry, sockets) : PresenceChange.UNCHANGED;
    }
  }

  /** Sets the activity status of an online user; {@link StatusOutcome#OFFLINE} when the user has no socket open. */
  record SetStatus(String status) implements EntryProcessor<String, UserSockets, StatusOutcome>, PresenceWire {
    @Override
    public StatusOutcome process(Map.Entry<String, UserSockets> entry) {
      UserSockets sockets = entry.getValue();
      if (sockets == null) {
        return StatusOutcome.OFFLINE;
      }
      if (!sockets.setStatus(status)) {
        return StatusOutcome.UNCHANGED;
      }
      entry.setValue(sockets);
      return StatusOutcome.CHANGED;
    }
  }

  /** Sent by ordinal ({@link PresenceWireSerializer}): add new values at the end. */
  enum StatusOutcome implements PresenceWire { CHANGED, UNCHANGED, OFFLINE }

  /** What a query needs of an online user: the nodes holding their sockets, and their status. */
  record OnlineUser(ArrayList<String> nodes, String status) implements PresenceWire {}

  /** Reads a user's nodes and status (null when offline) on the owner, without a backup operation. */
  record ReadPresence() implements EntryProcessor<String, UserSockets, OnlineUser>, ReadOnly, PresenceWire {
    @Override
    public OnlineUser process(Map.Entry<String, UserSockets> entry) {
      UserSockets sockets = entry.getValue();
      return sockets == null ? null : new OnlineUser(sockets.nodes(), sockets.status());
    }

    @Override
    public EntryProcessor<String, UserSockets, OnlineUser> getBackupProcessor() {
      return null;
    }
  }

  /** Writes back a changed value; setting null deletes the entry, so an offline user takes no space. */
  private static PresenceChange store(Map.Entry<String, UserSockets> entry, UserSockets sockets) {
    if (sockets.isEmpty()) {
      entry.setValue(null);
      return PresenceChange.WENT_OFFLINE;
    }
    entry.setValue(sockets);
    return PresenceChange.UNCHANGED;
  }
}
