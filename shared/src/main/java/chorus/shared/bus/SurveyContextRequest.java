package chorus.shared.bus;

import java.util.UUID;

/**
 * Load a conversation with its bot, its survey state (if it is a survey) and its first
 * {@code messageLimit} messages, in one query. Fails NOT_FOUND when missing, or when
 * {@code requesterId} is set and is not a member.
 *
 * @param requesterId null for the survey capability (the conversation id itself): then only a
 *                    survey conversation is found
 */
public record SurveyContextRequest(UUID conversationId, String requesterId, int messageLimit) {}
