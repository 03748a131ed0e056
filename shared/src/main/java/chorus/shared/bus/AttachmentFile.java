package chorus.shared.bus;

import java.util.UUID;

/** A stored file with its bytes, for a member of its conversation. */
public record AttachmentFile(UUID id, UUID conversationId, String fileName, String contentType, long size, byte[] data) {}
