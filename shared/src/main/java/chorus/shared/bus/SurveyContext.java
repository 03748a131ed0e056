package chorus.shared.bus;

import chorus.shared.domain.Bot;
import chorus.shared.domain.Conversation;
import chorus.shared.domain.StoredMessage;
import chorus.shared.domain.SurveyState;
import java.util.List;

/** A conversation, its bot, its survey state (null when not a survey) and its messages in seq order. */
public record SurveyContext(Conversation conversation, Bot bot, SurveyState survey, List<StoredMessage> messages) {}
