package chorus.shared.bus;

/** The public keys of {@code userId}, for a requester who is that user or shares a conversation with them (else NOT_FOUND). */
public record UserKeysRequest(String requesterId, String userId) {}
