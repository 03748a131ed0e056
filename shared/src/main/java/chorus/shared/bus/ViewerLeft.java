package chorus.shared.bus;

import java.util.UUID;

/** A socket stopped viewing a conversation (left, removed or closed). */
public record ViewerLeft(UUID conversationId, String nodeId, String socketId) {}
