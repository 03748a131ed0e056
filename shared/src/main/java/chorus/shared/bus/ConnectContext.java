package chorus.shared.bus;

import chorus.shared.domain.Bot;
import chorus.shared.domain.Conversation;
import chorus.shared.domain.UserProfile;

/** User, conversation and bot, loaded once when a socket connects. */
public record ConnectContext(UserProfile user, Conversation conversation, Bot bot) {}
