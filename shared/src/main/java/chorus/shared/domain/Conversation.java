package chorus.shared.domain;

import java.time.Instant;
import java.util.UUID;

/** A conversation between its owner and a bot; {@code lastSeq} is the seq of its newest message. */
public record Conversation(
    UUID id,
    UUID botId,
    String ownerId,
    String title,
    String status,
    long lastSeq,
    Instant createdAt,
    Instant updatedAt) {}
