package chorus.shared.domain;

import java.time.Instant;
import java.util.Map;
import java.util.UUID;

/** A committed message. {@code seq} is gap-free and strictly increasing per conversation. */
public record StoredMessage(
    UUID id,
    UUID conversationId,
    long seq,
    Role role,
    String senderId,
    String content,
    Map<String, Object> meta,
    String clientMessageId,
    UUID replyToMessageId,
    Instant createdAt) {}
