package chorus.persistence;

import java.util.UUID;

/**
 * Ids for the rows written once per message (messages, reply jobs): UUID version 7
 * (RFC 9562), Unix milliseconds in the top 48 bits, so a new row's primary-key entry goes at
 * the right edge of its B-tree. A random (version 4) id puts every insert on a different leaf
 * page, and after each checkpoint the first change to a page writes the whole page to the WAL
 * again; at thousands of messages a second that is most of the WAL (findings 30).
 *
 * <p>The other 74 bits are a version 4 UUID's, from {@link UUID#randomUUID}'s SecureRandom:
 * an id still cannot be guessed from another. Ids that are a capability (a survey
 * conversation's) stay version 4: they must not tell when they were made.
 */
final class RowIds {
  private static final long VERSION_7 = 0x7000L;
  private static final long RANDOM_A = 0x0FFFL;

  private RowIds() {
  }

  static UUID next() {
    return at(System.currentTimeMillis(), UUID.randomUUID());
  }

  /** The version 7 id for {@code millis} with {@code random}'s random bits (its variant bits are RFC 9562's already). */
  static UUID at(long millis, UUID random) {
    long mostSignificant = (millis << 16) | VERSION_7 | (random.getMostSignificantBits() & RANDOM_A);
    return new UUID(mostSignificant, random.getLeastSignificantBits());
  }
}
