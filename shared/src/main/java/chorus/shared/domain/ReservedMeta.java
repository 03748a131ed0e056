package chorus.shared.domain;

import java.util.Map;

/**
 * The keys of a message's meta that the server alone writes (clients never set meta):
 * {@code attachment} (a stored file: id, file_name, content_type, size) and
 * {@code encrypted} (an end-to-end envelope stored opaque; the content is then empty).
 */
public final class ReservedMeta {
  private ReservedMeta() {}

  public static final String ATTACHMENT = "attachment";
  public static final String ENCRYPTED = "encrypted";

  /** The attachment's description, or null. */
  @SuppressWarnings("unchecked")
  public static Map<String, Object> attachment(StoredMessage message) {
    Object value = message.meta() == null ? null : message.meta().get(ATTACHMENT);
    return value instanceof Map<?, ?> map ? (Map<String, Object>) map : null;
  }

  /** The encrypted envelope, or null for a plaintext message. */
  @SuppressWarnings("unchecked")
  public static Map<String, Object> encrypted(StoredMessage message) {
    Object value = message.meta() == null ? null : message.meta().get(ENCRYPTED);
    return value instanceof Map<?, ?> map ? (Map<String, Object>) map : null;
  }
}
