package chorus.shared.bus;

import chorus.shared.domain.StoredMessage;

/**
 * Published on the conversation's topic after a message is committed.
 *
 * @param committedBy the node id of the persistence role that committed it (gateways count
 *     cross-node deliveries by it)
 */
public record MessageAppended(StoredMessage message, String committedBy) {}
