package chorus.shared.bus;

import java.util.UUID;

/**
 * A socket started viewing a conversation; refused when the conversation already has
 * {@code maxViewers} sockets on it cluster-wide (0 = no limit). Answered with {@link Admission}.
 */
public record ViewerJoined(UUID conversationId, String userId, String nodeId, String socketId, int maxViewers) {}
