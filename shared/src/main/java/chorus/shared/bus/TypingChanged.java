package chorus.shared.bus;

import java.util.UUID;

/**
 * A member started or stopped typing: published on the conversation's topic by the
 * typing socket's node, never stored. {@code socketId} lets that socket skip its own echo.
 */
public record TypingChanged(UUID conversationId, String userId, boolean typing, String socketId) {}
