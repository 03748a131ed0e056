package chorus.shared.bus;

import java.util.UUID;

/**
 * The text of an active stream up to and including delta {@code lastIndex}, published on the
 * conversation's topic by the generating AI verticle when asked ({@link StreamSnapshotRequest}).
 * It leaves the same node on the same topic as the deltas, so it arrives in order with them.
 */
public record ReplySnapshot(UUID conversationId, UUID streamId, UUID jobId, UUID replyToMessageId, int lastIndex, String text) {}
