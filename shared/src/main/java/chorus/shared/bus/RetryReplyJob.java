package chorus.shared.bus;

import java.util.UUID;

/**
 * A member asks again for the reply to a user message whose job failed: the job becomes
 * pending and is announced. NOT_FOUND when the message is not in a conversation of the
 * requester's; CONFLICT when its job is not failed (running, done, or none).
 */
public record RetryReplyJob(UUID conversationId, UUID userMessageId, String requesterId) {}
