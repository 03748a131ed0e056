package chorus.shared.bus;

import java.util.UUID;

/** Load, in one query, what a socket caches for its lifetime. Fails NOT_FOUND when missing or not the user's. */
public record ConnectContextRequest(UUID conversationId, String userId) {}
