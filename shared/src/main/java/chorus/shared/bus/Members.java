package chorus.shared.bus;

import java.util.List;

/** The users asked about by {@link CheckMembers} that are members. */
public record Members(List<String> userIds) {}
