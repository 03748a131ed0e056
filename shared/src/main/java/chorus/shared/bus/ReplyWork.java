package chorus.shared.bus;

import chorus.shared.domain.Bot;
import chorus.shared.domain.StoredMessage;
import java.util.List;
import java.util.UUID;

/**
 * A claimed job with what the AI needs to answer it: the bot and the conversation's
 * recent history up to and including the user message, oldest first.
 *
 * @param askerId the user the generation counts against (null when no per-user limit is on, or no user asked)
 * @param refusal null when admitted; else the limit's error code (AI_TOO_MANY_GENERATIONS, AI_QUOTA_EXCEEDED):
 *     the job is claimed all the same, to be given back failed
 */
public record ReplyWork(UUID jobId, UUID conversationId, UUID userMessageId, int attempt, Bot bot, List<StoredMessage> history,
    String askerId, String refusal) {
  /** Admitted, with nobody's limits to count against. */
  public ReplyWork(UUID jobId, UUID conversationId, UUID userMessageId, int attempt, Bot bot, List<StoredMessage> history) {
    this(jobId, conversationId, userMessageId, attempt, bot, history, null, null);
  }
}
