package chorus.shared.bus;

import java.util.List;

/** When were these users last online? Answered with {@link LastSeen}. */
public record LastSeenQuery(List<String> userIds) {}
