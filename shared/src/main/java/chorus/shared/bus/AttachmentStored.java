package chorus.shared.bus;

import java.util.UUID;

/** A stored file; the gateway refers to it from a message's {@code meta.attachment}. */
public record AttachmentStored(UUID id, UUID conversationId, String fileName, String contentType, long size, String sha256) {}
