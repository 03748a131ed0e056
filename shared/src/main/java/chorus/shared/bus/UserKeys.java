package chorus.shared.bus;

import java.time.Instant;
import java.util.List;

/** A user's published public keys, oldest first. */
public record UserKeys(String userId, List<Key> keys) {
  public record Key(String keyId, String algorithm, String publicKey, Instant createdAt, Instant updatedAt) {}
}
