package chorus.shared.bus;

import java.util.UUID;

/**
 * Take the lease on a reply job: succeeds when the job is pending, or running with an
 * expired lease. Fails CONFLICT when another node holds it or it is finished.
 */
public record ClaimReplyJob(UUID jobId, String nodeId, long leaseMillis, int historyLimit) {}
