package chorus.shared.bus;

import chorus.shared.domain.Bot;
import chorus.shared.domain.Conversation;
import chorus.shared.domain.UserProfile;
import java.time.Instant;

/**
 * User, conversation and bot, loaded once when a socket connects.
 *
 * @param archivedAt when this user archived the conversation for themselves; null when not archived
 */
public record ConnectContext(UserProfile user, Conversation conversation, Bot bot, Instant archivedAt) {}
