package chorus.shared.bus;

import java.util.UUID;

/**
 * One piece of a reply being generated, published on the conversation's topic by the AI
 * verticle generating it. {@code index} counts from 1 within the stream; a stream is one
 * generation attempt ({@code streamId}), so a job taken over after its node died streams
 * again under a new id. The final message (stored once) is authoritative.
 */
public record ReplyDelta(UUID conversationId, UUID streamId, UUID jobId, UUID replyToMessageId, int index, String text) {}
