package chorus.shared.bus;

import java.util.UUID;

/** A member archives ({@code archived}) or unarchives a conversation for themselves only. Fails NOT_FOUND unless a member. */
public record SetArchived(UUID conversationId, String userId, boolean archived) {}
