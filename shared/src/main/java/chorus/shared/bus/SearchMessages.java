package chorus.shared.bus;

import java.time.Instant;
import java.util.UUID;

/**
 * Full-text search over the plaintext messages of the conversations {@code requesterId} is
 * a member of now, newest first.
 *
 * @param conversationId only this conversation, or null for all of the requester's
 * @param beforeCreatedAt with {@code beforeId}: the cursor, the last result of the previous page (exclusive); null for the first page
 * @param limit results per page, already clamped by the caller
 */
public record SearchMessages(String requesterId, String query, UUID conversationId, Instant beforeCreatedAt, UUID beforeId, int limit) {}
