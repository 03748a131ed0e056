package chorus.shared.bus;

import java.util.UUID;

/** A member adds ({@code add}) or removes a reaction on a message of the conversation. */
public record React(UUID conversationId, UUID messageId, String userId, String emoji, boolean add) {}
