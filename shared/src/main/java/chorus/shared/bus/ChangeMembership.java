package chorus.shared.bus;

import java.util.UUID;

/** The conversation's owner adds ({@code add}) or removes a member. Fails NOT_FOUND unless the requester owns it. */
public record ChangeMembership(UUID conversationId, String requesterId, String userId, boolean add) {}
