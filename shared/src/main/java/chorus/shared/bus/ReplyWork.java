package chorus.shared.bus;

import chorus.shared.domain.Bot;
import chorus.shared.domain.StoredMessage;
import java.util.List;
import java.util.UUID;

/**
 * A claimed job with what the AI needs to answer it: the bot and the conversation's
 * recent history up to and including the user message, oldest first.
 */
public record ReplyWork(UUID jobId, UUID conversationId, UUID userMessageId, int attempt, Bot bot, List<StoredMessage> history) {}
