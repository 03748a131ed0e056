package chorus.shared.bus;

/** The users who share at least one conversation with {@code userId} (the audience of their presence). */
public record CoMembersRequest(String userId) {}
