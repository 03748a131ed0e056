package chorus.shared.bus;

import java.util.UUID;

/** Mark a job failed (kept for a retry) while the lease is still held by {@code nodeId}. */
public record FailReplyJob(UUID jobId, String nodeId, String error) {}
