package chorus.shared.bus;

import java.util.UUID;

/** The members of one conversation (trusted caller: the gateway checked the requester's membership at connect). */
public record ConversationMembersRequest(UUID conversationId) {}
