package chorus.shared.bus;

import java.util.UUID;

/**
 * Published to every AI verticle by a member's socket: stop the reply being generated in
 * this conversation (to {@code userMessageId} only, when given). The gateway checked membership.
 */
public record StopGeneration(UUID conversationId, UUID userMessageId, String requesterId) {}
