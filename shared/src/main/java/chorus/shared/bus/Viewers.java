package chorus.shared.bus;

import java.util.List;
import java.util.UUID;

/** The users with at least one socket on the conversation now (sorted), and how many sockets. */
public record Viewers(UUID conversationId, List<String> userIds, int sockets) {}
