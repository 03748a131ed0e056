package chorus.shared.bus;

import java.util.List;
import java.util.UUID;

/** The newest committed seq of each of these conversations (one query, whatever their number). */
public record LastSeqsRequest(List<UUID> conversationIds) {}
