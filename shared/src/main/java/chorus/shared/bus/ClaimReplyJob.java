package chorus.shared.bus;

import java.util.UUID;

/**
 * Take the lease on a reply job: succeeds when the job is pending, or running with an
 * expired lease. Fails CONFLICT when another node holds it or it is finished.
 * In the same statement the generation is admitted under the asking user's limits
 * ({@link ReplyWork#refusal()} says when not; 0 = that limit is off).
 */
public record ClaimReplyJob(UUID jobId, String nodeId, long leaseMillis, int historyLimit, int maxConcurrentPerUser,
    long dailyTokenQuota) {
  /** Without the per-user limits (a claim that only gives the job back). */
  public ClaimReplyJob(UUID jobId, String nodeId, long leaseMillis, int historyLimit) {
    this(jobId, nodeId, leaseMillis, historyLimit, 0, 0);
  }
}
