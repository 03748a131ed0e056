package chorus.shared.domain;

import java.time.Instant;
import java.util.Map;
import java.util.UUID;

/**
 * Where a survey conversation stands: the index of the question being asked in the bot's
 * script, the answers so far (question id -> answer, null for a skipped question), and
 * {@code active} or {@code completed}. The customer is who the survey was started for.
 */
public record SurveyState(
    UUID conversationId,
    int currentQuestionIndex,
    Map<String, Object> answers,
    String status,
    String customerId,
    String customerName,
    String customerEmail,
    Instant createdAt,
    Instant updatedAt) {

  public static final String ACTIVE = "active";
  public static final String COMPLETED = "completed";

  public boolean completed() {
    return COMPLETED.equals(status);
  }
}
