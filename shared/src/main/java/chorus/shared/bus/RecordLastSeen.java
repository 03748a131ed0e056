package chorus.shared.bus;

import java.time.Instant;
import java.util.List;

/** These users went offline at {@code at}: stored as their last_seen_at (never moved back). Answered with {@link Ping}. */
public record RecordLastSeen(List<String> userIds, Instant at) {}
