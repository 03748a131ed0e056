package chorus.shared.bus;

import chorus.shared.domain.StoredMessage;
import chorus.shared.domain.SurveyState;
import java.util.List;

/**
 * The reply to {@link SurveyAnswer}, after commit: {@code stored} with the new state and the two
 * stored messages (answer, then the bot's message); {@code stale} (the question was answered
 * meanwhile) or {@code completed} (the survey is over) with the state as read, nothing written.
 */
public record SurveyAnswerResult(String outcome, SurveyState state, List<StoredMessage> messages) {
  public static final String STORED = "stored";
  public static final String STALE = "stale";
  public static final String COMPLETED = "completed";
}
