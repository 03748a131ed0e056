package chorus.shared.bus;

import java.util.UUID;

/** How far a member has read; published on the conversation's topic when it moved forward. */
public record ReadReceipt(UUID conversationId, String userId, long lastReadSeq, boolean changed) {}
