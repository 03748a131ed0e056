package chorus.shared.bus;

import java.util.UUID;

/**
 * Store a completely uploaded file in a conversation the uploader is a member of (checked
 * in the same statement). Sent once, after the last chunk and the checksum check.
 *
 * @param sha256 lower-case hex SHA-256 of {@code data}, computed by the gateway while the chunks arrived
 */
public record StoreAttachment(UUID conversationId, String uploaderId, String fileName, String contentType, String sha256, byte[] data) {}
