package chorus.shared.bus;

import java.util.UUID;

/**
 * The reply to {@link ChangeMembership}, and, for a removal, the event published on the
 * conversation's topic so that every node cuts the removed member's sockets off at once.
 *
 * @param changed false when nothing changed (already a member, or not one)
 */
public record MembershipChanged(UUID conversationId, String userId, boolean member, boolean changed) {}
