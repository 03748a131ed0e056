package chorus.shared.bus;

import chorus.shared.domain.Conversation;
import java.time.Instant;
import java.util.List;

/** One page of {@link ListConversations}. */
public record ConversationList(List<Entry> conversations, boolean hasMore) {

  /** @param archivedAt when the asking member archived it; null when not archived */
  public record Entry(Conversation conversation, Instant archivedAt) {}
}
