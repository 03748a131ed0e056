package chorus.shared.bus;

import java.util.List;
import java.util.UUID;

/** The user ids of a conversation's members, sorted. */
public record ConversationMembers(UUID conversationId, List<String> userIds) {}
