package chorus.shared.bus;

import java.util.UUID;

/** Extend a running job's lease; refused (CONFLICT) when {@code nodeId} no longer holds it. */
public record RenewReplyJob(UUID jobId, String nodeId, long leaseMillis) {}
