package chorus.shared.bus;

import java.util.UUID;

/** Published to every AI verticle: whoever streams in this conversation publishes a {@link ReplySnapshot}. */
public record StreamSnapshotRequest(UUID conversationId) {}
