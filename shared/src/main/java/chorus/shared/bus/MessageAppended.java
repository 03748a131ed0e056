package chorus.shared.bus;

import chorus.shared.domain.StoredMessage;

/** Published on the conversation's topic after a message is committed. */
public record MessageAppended(StoredMessage message) {}
