package chorus.presence;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;

/** The sockets viewing one conversation: node -> socket -> user. The value of the viewers map. */
final class ConversationViewers implements PresenceWire {
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

  void writeTo(ObjectDataOutput out) throws IOException {
    out.writeInt(byNode.size());
    for (var node : byNode.entrySet()) {
      out.writeString(node.getKey());
      out.writeInt(node.getValue().size());
      for (var socket : node.getValue().entrySet()) {
        out.writeString(socket.getKey());
        out.writeString(socket.getValue());
      }
    }
  }

  static ConversationViewers readFrom(ObjectDataInput in) throws IOException {
    ConversationViewers viewers = new ConversationViewers();
    for (int nodes = in.readInt(); nodes > 0; nodes--) {
      String nodeId = in.readString();
      int count = in.readInt();
      HashMap<String, String> sockets = new HashMap<>(Math.max(4, count * 2));
      for (int i = 0; i < count; i++) {
        sockets.put(in.readString(), in.readString());
      }
      viewers.byNode.put(nodeId, sockets);
    }
    return viewers;
  }
}
