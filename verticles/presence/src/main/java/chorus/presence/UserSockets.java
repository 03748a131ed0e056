package chorus.presence;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Set;

/**
 * One user's open sockets, by Chorus node id: the value of the presence map. Mutable, but
 * only ever changed inside an entry processor, on a copy Hazelcast deserialized for it.
 * Never holds an empty set: a node without sockets is removed.
 */
final class UserSockets implements PresenceWire {
  private final HashMap<String, HashSet<String>> byNode = new HashMap<>();
  /** The user's activity status; null means active. Lives and dies with the entry: a user who goes offline comes back active. */
  private String status;

  /** "active" unless the user set another. */
  String status() {
    return status == null ? chorus.shared.domain.ActivityStatus.ACTIVE : status;
  }

  /** @return whether it changed */
  boolean setStatus(String newStatus) {
    String stored = chorus.shared.domain.ActivityStatus.ACTIVE.equals(newStatus) ? null : newStatus;
    if (java.util.Objects.equals(status, stored)) {
      return false;
    }
    status = stored;
    return true;
  }

  /** @return whether it was not there yet */
  boolean add(String nodeId, String socketId) {
    return byNode.computeIfAbsent(nodeId, n -> new HashSet<>()).add(socketId);
  }

  /** @return whether it was there */
  boolean remove(String nodeId, String socketId) {
    Set<String> sockets = byNode.get(nodeId);
    if (sockets == null || !sockets.remove(socketId)) {
      return false;
    }
    if (sockets.isEmpty()) {
      byNode.remove(nodeId);
    }
    return true;
  }

  /** @return whether the node had sockets */
  boolean removeNode(String nodeId) {
    return byNode.remove(nodeId) != null;
  }

  boolean contains(String nodeId, String socketId) {
    Set<String> sockets = byNode.get(nodeId);
    return sockets != null && sockets.contains(socketId);
  }

  int count() {
    return byNode.values().stream().mapToInt(Set::size).sum();
  }

  boolean isEmpty() {
    return byNode.isEmpty();
  }

  /** The nodes holding at least one socket, sorted; a plain ArrayList so it serializes anywhere. */
  ArrayList<String> nodes() {
    ArrayList<String> nodes = new ArrayList<>(byNode.keySet());
    nodes.sort(null);
    return nodes;
  }

  @Override
  public String toString() {
    return status == null ? byNode.toString() : byNode + " " + status;
  }

  void writeTo(ObjectDataOutput out) throws IOException {
    out.writeInt(byNode.size());
    for (var node : byNode.entrySet()) {
      out.writeString(node.getKey());
      out.writeInt(node.getValue().size());
      for (String socketId : node.getValue()) {
        out.writeString(socketId);
      }
    }
    out.writeString(status);
  }

  static UserSockets readFrom(ObjectDataInput in) throws IOException {
    UserSockets sockets = new UserSockets();
    for (int nodes = in.readInt(); nodes > 0; nodes--) {
      String nodeId = in.readString();
      int count = in.readInt();
      HashSet<String> ids = new HashSet<>(Math.max(4, count * 2));
      for (int i = 0; i < count; i++) {
        ids.add(in.readString());
      }
      sockets.byNode.put(nodeId, ids);
    }
    sockets.status = in.readString();
    return sockets;
  }
}
