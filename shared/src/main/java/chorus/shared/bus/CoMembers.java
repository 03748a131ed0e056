package chorus.shared.bus;

import java.util.List;

/** Users sharing a conversation with the one asked about, that user excluded. */
public record CoMembers(List<String> userIds) {}
