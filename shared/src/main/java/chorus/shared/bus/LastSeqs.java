package chorus.shared.bus;

import java.util.Map;
import java.util.UUID;

/** Conversation id -> its last_seq; conversations that do not exist are absent. */
public record LastSeqs(Map<UUID, Long> lastSeqByConversation) {}
