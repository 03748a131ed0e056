package chorus.shared.bus;

import java.util.List;

/** Which of these users are online, and on which nodes. */
public record PresenceQuery(List<String> userIds) {}
