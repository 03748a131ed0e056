package chorus.shared.bus;

import java.util.UUID;

/** Start a conversation with a bot the caller owns or that is public. Fails NOT_FOUND otherwise. */
public record CreateConversation(String ownerId, String ownerName, String ownerRole, UUID botId, String title) {}
