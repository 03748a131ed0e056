package chorus.shared.bus;

import java.util.UUID;

/** Read a stored file for a download: NOT_FOUND when there is none, FORBIDDEN when the requester is not a member of its conversation. */
public record FetchAttachment(UUID attachmentId, String requesterId) {}
