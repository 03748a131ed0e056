package chorus.node;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/** The roles a node can run; each is one verticle. */
public enum NodeRole {
  PERSISTENCE, PRESENCE, AI, GATEWAY;

  public static Set<NodeRole> parse(String roles) {
    EnumSet<NodeRole> parsed = EnumSet.noneOf(NodeRole.class);
    for (String role : roles.split(",")) {
      if (!role.isBlank()) {
        try {
          parsed.add(NodeRole.valueOf(role.trim().toUpperCase(Locale.ROOT)));
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException("unknown role '" + role.trim() + "'; roles are gateway, persistence, ai, presence");
        }
      }
    }
    if (parsed.isEmpty()) {
      throw new IllegalArgumentException("no roles given; roles are gateway, persistence, ai, presence");
    }
    return parsed;
  }
}
