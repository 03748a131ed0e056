package chorus.shared.bus;

import java.util.UUID;

/** A member has read the conversation up to {@code seq} (never moves back, never past the last message). */
public record MarkRead(UUID conversationId, String userId, long seq) {}
