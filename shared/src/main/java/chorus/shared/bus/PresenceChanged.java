package chorus.shared.bus;

import java.time.Instant;
import java.util.List;

/**
 * A user came online, went offline (once per change, not per device) or changed their
 * activity status, and who may be told.
 *
 * @param status the activity status while online (active, away, dnd); null when offline
 * @param lastSeen when an offline user was last online; null when online or unknown
 */
public record PresenceChanged(String userId, boolean online, List<String> audience, String status, Instant lastSeen) {}
