package chorus.shared.bus;

import java.util.List;

/** Jobs that need a worker. */
public record DueReplyJobsResult(List<ReplyJobReady> jobs) {}
