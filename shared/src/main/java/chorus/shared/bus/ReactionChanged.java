package chorus.shared.bus;

import java.util.UUID;

/** A reaction was added or removed; published on the conversation's topic when something changed. */
public record ReactionChanged(UUID conversationId, UUID messageId, String userId, String emoji, boolean added, boolean changed) {}
