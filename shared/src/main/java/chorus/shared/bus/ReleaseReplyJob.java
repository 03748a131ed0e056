package chorus.shared.bus;

import java.util.UUID;

/** Give a running job back as pending (a draining node), so another node takes it at once. */
public record ReleaseReplyJob(UUID jobId, String nodeId) {}
