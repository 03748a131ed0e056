package chorus.shared.bus;

import chorus.shared.domain.BotKind;
import java.util.Map;

/** Create a bot owned by the caller (whose user row is created or refreshed on the way). */
public record CreateBot(
    String ownerId,
    String ownerName,
    String ownerRole,
    String name,
    BotKind kind,
    String personality,
    Map<String, Object> settings,
    boolean isPublic) {}
