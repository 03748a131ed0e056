package chorus.shared.bus;

import java.util.Map;
import java.util.UUID;

/**
 * Record an answer to the question at {@code questionIndex} and move the survey to
 * {@code nextIndex}, in one statement, only if the survey is still active and still at
 * {@code questionIndex} (two concurrent answers to one question: one counts, the other is
 * told {@code stale}). The answer and the bot's next message are stored as two messages
 * with consecutive seqs.
 *
 * @param requesterId the token's user (must be a member), or null for the capability
 * @param answer      the stored answer value (the option as written in the script), null for a skip
 * @param content     the answer message's content
 * @param completes   true when no question follows: the survey becomes completed
 * @param botContent  the next question's text, or the completion message
 */
public record SurveyAnswer(
    UUID conversationId,
    String requesterId,
    String senderId,
    int questionIndex,
    String questionId,
    String answer,
    String content,
    Map<String, Object> answerMeta,
    int nextIndex,
    boolean completes,
    String botContent,
    Map<String, Object> botMeta) {}
