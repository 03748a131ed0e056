package chorus.bench.load;

/**
 * What a benchmark message carries in its text, so that any receiver on any target can
 * tell which message it is and when it was meant to be sent: {@code "bench <sender> <n>
 * <intendedNanos>"}. The load generator is one process, so one nanoTime clock serves
 * senders and receivers alike.
 */
public record Payload(int sender, int n, long intendedNanos) {

  private static final String PREFIX = "bench ";

  public String text() {
    return PREFIX + sender + " " + n + " " + intendedNanos;
  }

  /** The message's client id (idempotency key where the target has one). */
  public String id() {
    return sender + "-" + n;
  }

  /** One long per message: the sender in the high half, its number in the low half. */
  public long key() {
    return key(sender, n);
  }

  public static long key(int sender, int n) {
    return ((long) sender << 32) | (n & 0xffffffffL);
  }

  /** The key of a message from its {@link #id()}, or -1 when it is not one. */
  public static long keyOfId(String id) {
    int dash = id == null ? -1 : id.indexOf('-');
    if (dash <= 0) {
      return -1;
    }
    try {
      return key(Integer.parseInt(id.substring(0, dash)), Integer.parseInt(id.substring(dash + 1)));
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** The payload in {@code text}, or null when the text is not a benchmark message. */
  public static Payload parse(String text) {
    if (text == null || !text.startsWith(PREFIX)) {
      return null;
    }
    String[] parts = text.substring(PREFIX.length()).split(" ");
    if (parts.length != 3) {
      return null;
    }
    try {
      return new Payload(Integer.parseInt(parts[0]), Integer.parseInt(parts[1]), Long.parseLong(parts[2]));
    } catch (NumberFormatException e) {
      return null;
    }
  }
}
