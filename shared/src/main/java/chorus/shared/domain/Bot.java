package chorus.shared.domain;

import java.time.Instant;
import java.util.Map;
import java.util.UUID;

/**
 * A bot: its personality is the system prompt of an {@code llm} bot; settings hold
 * model settings (model, temperature, max_tokens...) or a survey script.
 * A public bot may be used by anyone to start a conversation; a private one only by its owner.
 */
public record Bot(
    UUID id,
    String ownerId,
    String name,
    BotKind kind,
    String personality,
    Map<String, Object> settings,
    boolean isPublic,
    Instant createdAt) {}
