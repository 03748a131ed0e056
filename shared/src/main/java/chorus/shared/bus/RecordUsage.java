package chorus.shared.bus;

/** Add a finished generation's tokens to the user's usage of today (UTC). */
public record RecordUsage(String userId, long tokens) {}
