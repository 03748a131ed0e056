package chorus.shared.bus;

/**
 * Publish (or replace, under the same key id) one of the user's public keys. The user's row
 * is created on the way, like every first call. Refused with CONFLICT when the user already
 * has {@code maxKeys} other keys.
 */
public record PublishKey(String userId, String userName, String keyId, String algorithm, String publicKey, int maxKeys) {}
