package chorus.shared.bus;

/**
 * Take one token from the user's cluster-wide bucket, refilled at {@code perSecond} up to
 * {@code burst}. Answered with {@link Admission} (count: whole tokens left).
 */
public record RateLimitTake(String userId, double perSecond, int burst) {}
