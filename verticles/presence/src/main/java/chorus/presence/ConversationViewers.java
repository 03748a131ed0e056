package chorus.presence;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;

/** The sockets viewing one conversation: node -> socket -> user. The value of the viewers map. */
final class ConversationViewers implements Serializable {
  private static final long serialVersionUID = 1L;

  private final HashMap<String, HashMap<String, String>> byNode = new HashMap<>();

  boolean add(String nodeId, String socketId, String userId) {
    return byNode.computeIfAbsent(nodeId, n -> new HashMap<>()).put(socketId, userId) == null;
  }

  boolean contains(String nodeId, String socketId) {
    Map<String, String> sockets = byNode.get(nodeId);
    return sockets != null && sockets.containsKey(socketId);
  }

  boolean remove(String nodeId, String socketId) {
    Map<String, String> sockets = byNode.get(nodeId);
    if (sockets == null || sockets.remove(socketId) == null) {
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

  int count() {
    return byNode.values().stream().mapToInt(Map::size).sum();
  }

  boolean isEmpty() {
    return byNode.isEmpty();
  }

  /** The distinct users viewing, sorted; a plain ArrayList so it serializes anywhere. */
  ArrayList<String> users() {
    TreeSet<String> users = new TreeSet<>();
    byNode.values().forEach(sockets -> users.addAll(sockets.values()));
    return new ArrayList<>(users);
  }
}
