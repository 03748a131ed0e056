package chorus.shared.bus;

/** Ask for reply jobs nobody is working on: pending for longer than {@code olderThanMillis}, or with an expired lease. */
public record DueReplyJobs(long olderThanMillis, int max) {}
