package chorus.presence;

import com.hazelcast.core.ReadOnly;
import com.hazelcast.map.EntryProcessor;
import java.util.ArrayList;
import java.util.Map;

/**
 * The only ways the viewers map changes, atomic per conversation like the presence
 * updates. Each returns the number of sockets on the conversation after it, or -1 when a
 * viewer was refused because the conversation is full.
 */
final class ViewerUpdates {
  private ViewerUpdates() {}

  record AddViewer(String nodeId, String socketId, String userId, int max) implements EntryProcessor<String, ConversationViewers, Integer>, PresenceWire {
    @Override
    public Integer process(Map.Entry<String, ConversationViewers> entry) {
      ConversationViewers viewers = entry.getValue() == null ? new ConversationViewers() : entry.getValue();
      if (max > 0 && viewers.count() >= max && !viewers.contains(nodeId, socketId)) {
        return -1;
      }
      if (viewers.add(nodeId, socketId, userId)) {
        entry.setValue(viewers);
      }
      return viewers.count();
    }
  }

  record RemoveViewer(String nodeId, String socketId) implements EntryProcessor<String, ConversationViewers, Integer>, PresenceWire {
    @Override
    public Integer process(Map.Entry<String, ConversationViewers> entry) {
      ConversationViewers viewers = entry.getValue();
      if (viewers == null) {
        return 0;
      }
      if (viewers.remove(nodeId, socketId)) {
        entry.setValue(viewers.isEmpty() ? null : viewers);
      }
      return viewers.count();
    }
  }

  record RemoveNode(String nodeId) implements EntryProcessor<String, ConversationViewers, Integer>, PresenceWire {
    @Override
    public Integer process(Map.Entry<String, ConversationViewers> entry) {
      ConversationViewers viewers = entry.getValue();
      if (viewers == null || !viewers.removeNode(nodeId)) {
        return viewers == null ? 0 : viewers.count();
      }
      entry.setValue(viewers.isEmpty() ? null : viewers);
      return viewers.count();
    }
  }

  /** What a read returns: the distinct users viewing, and their sockets. */
  record Snapshot(ArrayList<String> users, int sockets) implements PresenceWire {}

  /** Who is viewing, without writing. */
  record Read() implements EntryProcessor<String, ConversationViewers, Snapshot>, ReadOnly, PresenceWire {
    @Override
    public Snapshot process(Map.Entry<String, ConversationViewers> entry) {
      ConversationViewers viewers = entry.getValue();
      return viewers == null ? new Snapshot(new ArrayList<>(), 0) : new Snapshot(viewers.users(), viewers.count());
    }

    @Override
    public EntryProcessor<String, ConversationViewers, Snapshot> getBackupProcessor() {
      return null;
    }
  }
}
