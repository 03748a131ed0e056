package chorus.shared.bus;

import java.util.UUID;

/**
 * Messages of a conversation by seq, oldest first: those after {@code afterSeq} (first page
 * when null), or the newest ones before {@code beforeSeq}.
 *
 * @param requesterId when set, the conversation must be owned by this user
 */
public record HistoryRequest(UUID conversationId, String requesterId, Long afterSeq, Long beforeSeq, int limit) {}
