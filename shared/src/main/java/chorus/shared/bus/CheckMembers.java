package chorus.shared.bus;

import java.util.List;
import java.util.UUID;

/** Which of these users are members of the conversation? Answered with {@link Members}. */
public record CheckMembers(UUID conversationId, List<String> userIds) {}
