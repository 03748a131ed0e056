package chorus.shared.bus;

/**
 * Take up to {@code wanted} tokens from the user's cluster-wide bucket, refilled at
 * {@code perSecond} up to {@code burst}. Answered with {@link Admission}: admitted when at
 * least one was taken, count = how many were (a gateway keeps the rest for the user's next
 * messages, see {@code PresenceClient}).
 */
public record RateLimitTake(String userId, double perSecond, int burst, int wanted) {}
