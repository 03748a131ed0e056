package chorus.shared.bus;

import java.util.UUID;

/** A reply job was committed and waits for an AI verticle. */
public record ReplyJobReady(UUID jobId, UUID conversationId) {}
