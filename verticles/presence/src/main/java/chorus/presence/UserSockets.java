package chorus.presence;

import java.io.Serializable;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** One user's open sockets, by Chorus node id. The value of the presence map; changed only inside entry processors. */
final class UserSockets implements Serializable {
  private static final long serialVersionUID = 1L;

  private final HashMap<String, HashSet<String>> byNode = new HashMap<>();

  boolean add(String nodeId, String socketId) {
    return byNode.computeIfAbsent(nodeId, n -> new HashSet<>()).add(socketId);
  }

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

  boolean removeNode(String nodeId) {
    return byNode.remove(nodeId) != null;
  }

  boolean isEmpty() {
    return byNode.isEmpty();
  }

  List<String> nodes() {
    return byNode.keySet().stream().sorted().toList();
  }

  int socketCount() {
    return byNode.values().stream().mapToInt(Set::size).sum();
  }

  Map<String, Integer> socketsPerNode() {
    Map<String, Integer> counts = new HashMap<>();
    byNode.forEach((node, sockets) -> counts.put(node, sockets.size()));
    return counts;
  }
}
