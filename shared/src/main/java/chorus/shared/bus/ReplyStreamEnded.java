package chorus.shared.bus;

import java.util.UUID;

/**
 * A stream is over ({@code outcome}: stored, stopped, failed, lost): published on the
 * conversation's topic so gateways forget its text. What the user sees comes with it
 * separately: the stored message, or a {@link ReplyFailed}.
 */
public record ReplyStreamEnded(UUID conversationId, UUID streamId, UUID replyToMessageId, String outcome) {}
