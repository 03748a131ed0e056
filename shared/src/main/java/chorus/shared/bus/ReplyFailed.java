package chorus.shared.bus;

import java.util.UUID;

/**
 * A user message will not be answered for now, published on the conversation's topic:
 * {@code code} is the client-facing error code (AI_UNAVAILABLE, AI_BUSY, AI_QUOTA_EXCEEDED,
 * AI_TOO_MANY_GENERATIONS). The user message stays stored; the job can be retried.
 */
public record ReplyFailed(UUID conversationId, UUID jobId, UUID userMessageId, String code, String text) {}
