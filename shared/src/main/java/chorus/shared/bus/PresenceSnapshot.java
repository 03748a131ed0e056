package chorus.shared.bus;

import java.util.List;
import java.util.Map;

/** For each user asked about that has at least one open socket: the nodes holding them. Offline users are absent. */
public record PresenceSnapshot(Map<String, List<String>> nodesByUser) {
  public boolean isOnline(String userId) {
    return nodesByUser.containsKey(userId);
  }
}
