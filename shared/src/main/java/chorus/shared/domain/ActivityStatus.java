package chorus.shared.domain;

import java.util.Set;

/** A user's activity status (the user profile's set_status): what the presence role keeps while they are online. */
public final class ActivityStatus {
  private ActivityStatus() {}

  /** What every user is when they come online, and again after their last socket went away. */
  public static final String ACTIVE = "active";
  public static final Set<String> VALUES = Set.of(ACTIVE, "away", "dnd");
}
