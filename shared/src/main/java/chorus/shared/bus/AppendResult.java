package chorus.shared.bus;

import chorus.shared.domain.StoredMessage;
import java.util.UUID;

/**
 * The reply to {@link AppendMessage}, sent only after commit.
 *
 * @param duplicate true when the client message id had been stored before: nothing new was written
 * @param replyJobId the reply job created with the message, if any
 */
public record AppendResult(StoredMessage message, boolean duplicate, UUID replyJobId) {}
