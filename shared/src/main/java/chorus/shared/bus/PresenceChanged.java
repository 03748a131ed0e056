package chorus.shared.bus;

import java.util.List;

/** A user came online or went offline (once per change, not per device), and who may be told. */
public record PresenceChanged(String userId, boolean online, List<String> audience) {}
