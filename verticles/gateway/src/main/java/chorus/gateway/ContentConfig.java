package chorus.gateway;

import io.vertx.core.json.JsonObject;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Limits of file uploads, end-to-end encrypted messages and search (sections {@code uploads},
 * {@code e2e} and {@code search} of config/node.json; see README.md).
 *
 * @param allowedContentTypes empty = any well-formed type; entries are exact types or {@code type/*}
 */
public record ContentConfig(
    long maxFileBytes,
    int chunkBytes,
    int maxUploadsPerSocket,
    long uploadIdleTimeoutMs,
    List<String> allowedContentTypes,
    long maxBufferedBytesPerNode,
    int maxEnvelopeBytes,
    int maxRecipients,
    int maxKeysPerUser,
    List<String> keyAlgorithms,
    int maxPublicKeyChars,
    int searchDefaultResults,
    int searchMaxResults,
    int searchMaxQueryChars) {

  /** What a chunk frame carries besides its data (type, upload id, offset), with room to spare. */
  static final int CHUNK_FRAME_OVERHEAD = 1024;

  public ContentConfig {
    if (maxFileBytes < 1 || chunkBytes < 1 || maxUploadsPerSocket < 0 || uploadIdleTimeoutMs < 1) {
      throw new IllegalArgumentException("uploads: maxFileBytes, chunkBytes and idleTimeoutMs must be positive");
    }
    if (maxBufferedBytesPerNode < 1) {
      throw new IllegalArgumentException("uploads.maxBufferedBytesPerNode must be positive");
    }
    if (maxFileBytes > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("uploads.maxFileBytes must be below 2 GiB (a file is held in one array while it arrives)");
    }
    if (searchDefaultResults < 1 || searchMaxResults < searchDefaultResults || searchMaxQueryChars < 1) {
      throw new IllegalArgumentException("search: need 1 <= defaultResults <= maxResults and maxQueryChars >= 1");
    }
    if (maxEnvelopeBytes < 1 || maxRecipients < 1 || maxKeysPerUser < 1 || maxPublicKeyChars < 1) {
      throw new IllegalArgumentException("e2e: limits must be positive");
    }
  }

  public static ContentConfig from(JsonObject config) {
    JsonObject uploads = config.getJsonObject("uploads", new JsonObject());
    JsonObject e2e = config.getJsonObject("e2e", new JsonObject());
    JsonObject search = config.getJsonObject("search", new JsonObject());
    return new ContentConfig(
        uploads.getLong("maxFileBytes", 10L * 1024 * 1024),
        uploads.getInteger("chunkBytes", 32 * 1024),
        uploads.getInteger("maxConcurrentPerSocket", 3),
        uploads.getLong("idleTimeoutMs", 30_000L),
        list(uploads.getString("allowedContentTypes", "")),
        uploads.getLong("maxBufferedBytesPerNode", 256L * 1024 * 1024),
        e2e.getInteger("maxEnvelopeBytes", 48 * 1024),
        e2e.getInteger("maxRecipients", 64),
        e2e.getInteger("maxKeysPerUser", 10),
        list(e2e.getString("algorithms", "X25519,ECDH-P256")),
        e2e.getInteger("maxPublicKeyChars", 1024),
        search.getInteger("defaultResults", 20),
        search.getInteger("maxResults", 50),
        search.getInteger("maxQueryChars", 256));
  }

  /** A chunk's base64 text and the frame around it must fit under the frame limit: checked at start-up. */
  public void checkFits(int maxFrameBytes) {
    long encoded = 4L * ((chunkBytes + 2) / 3);
    if (encoded + CHUNK_FRAME_OVERHEAD > maxFrameBytes) {
      throw new IllegalArgumentException("uploads.chunkBytes " + chunkBytes + " does not fit in limits.maxFrameBytes "
          + maxFrameBytes + " once base64-encoded; at most " + ((maxFrameBytes - CHUNK_FRAME_OVERHEAD) / 4 * 3));
    }
  }

  /** Whether a (lower-case, well-formed) content type may be uploaded. */
  public boolean contentTypeAllowed(String contentType) {
    if (allowedContentTypes.isEmpty()) {
      return true;
    }
    String major = contentType.substring(0, contentType.indexOf('/') + 1);
    return allowedContentTypes.contains(contentType) || allowedContentTypes.contains(major + "*");
  }

  private static List<String> list(String value) {
    return Arrays.stream(value.split(",")).map(s -> s.trim().toLowerCase(Locale.ROOT)).filter(s -> !s.isEmpty()).toList();
  }
}
