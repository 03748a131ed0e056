package chorus.shared.bus;

import java.time.Instant;
import java.util.UUID;

/**
 * The reply to {@link SetArchived}.
 *
 * @param archivedAt when it was archived (kept when archived again); null when not archived
 * @param changed false when it already was in that state
 */
public record ArchiveState(UUID conversationId, String userId, boolean archived, Instant archivedAt, boolean changed) {}
