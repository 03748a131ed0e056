package chorus.shared.bus;

import java.util.List;
import java.util.Map;

/**
 * For each user asked about that has at least one open socket: the nodes holding them, and
 * their activity status. Offline users are absent.
 */
public record PresenceSnapshot(Map<String, List<String>> nodesByUser, Map<String, String> statusByUser) {
  public boolean isOnline(String userId) {
    return nodesByUser.containsKey(userId);
  }

  /** The activity status of an online user ("active" unless they set another), null when offline. */
  public String statusOf(String userId) {
    return isOnline(userId) ? statusByUser.getOrDefault(userId, chorus.shared.domain.ActivityStatus.ACTIVE) : null;
  }
}
