package chorus.shared.bus;

import java.time.Instant;
import java.util.Map;

/** The stored last_seen_at of the users asked about; users never seen offline are absent. */
public record LastSeen(Map<String, Instant> byUser) {}
