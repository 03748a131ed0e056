package chorus.shared.bus;

import java.util.UUID;

/** Who is viewing this conversation now (for operator panels and bot watchers). */
public record ViewersQuery(UUID conversationId) {}
