package chorus.shared.bus;

import java.util.UUID;

/**
 * Before any provider call: may {@code userId} start another generation (job {@code jobId},
 * leased to {@code nodeId})? Cluster-wide, in PostgreSQL. A limit of 0 means none.
 */
public record AdmitGeneration(UUID jobId, String nodeId, String userId, int maxConcurrent, long dailyTokenQuota) {}
