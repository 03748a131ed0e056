package chorus.bench.drill;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What one socket client received of one conversation, in arrival order, across all its
 * connections. A client resumes from {@link #resumeFrom()}, the highest seq it holds: a gap
 * is not papered over by resuming below it, so the verdict sees it.
 *
 * <p>One thing is not a delivery: the documented idempotent echo. Sending a message again
 * with a stored {@code message_id} answers the sender with the stored message, which the
 * stream may deliver as well. Each resend on the current connection allows ONE such extra
 * copy of that client id (two resends still in flight together: two echoes); anything more
 * is a duplicate.
 */
final class Reception {
  /** One delivered message: its seq, its server id, and the connection (1, 2, ...) it came on. */
  record Receipt(long seq, String id, int connection) {}

  private final List<Receipt> receipts = new ArrayList<>();
  private final Set<Long> seen = new HashSet<>();
  /** Client id -> echoes still allowed on this connection (one per resend on it). */
  private final Map<String, Integer> echoAllowance = new HashMap<>();
  private long highest;
  private int connection;
  private int echoes;
  private int userMessages;
  private int assistantMessages;

  /** A new connection started: resends of the previous one no longer allow an echo. */
  void newConnection() {
    connection++;
    echoAllowance.clear();
  }

  /** This client id was sent again on the current connection: one extra copy of it may come. */
  void allowEcho(String clientId) {
    echoAllowance.merge(clientId, 1, Integer::sum);
  }

  /**
   * A message arrived. Returns false when it is the echo of a resend (not a delivery).
   * An allowed client id counts as its echo when its seq is already held, or lies beyond
   * the next expected one (the echo can overtake the stream); then it is consumed.
   */
  boolean receive(long seq, String id, String clientId, boolean assistant) {
    if (clientId != null && echoAllowance.containsKey(clientId) && (seen.contains(seq) || seq > highest + 1)) {
      echoAllowance.computeIfPresent(clientId, (key, left) -> left > 1 ? left - 1 : null);
      echoes++;
      return false;
    }
    receipts.add(new Receipt(seq, id, connection));
    if (seen.add(seq)) {
      if (assistant) {
        assistantMessages++;
      } else {
        userMessages++;
      }
    }
    highest = Math.max(highest, seq);
    return true;
  }

  long resumeFrom() {
    return highest;
  }

  List<Receipt> receipts() {
    return List.copyOf(receipts);
  }

  int echoes() {
    return echoes;
  }

  /** User messages held minus assistant messages held: replies this conversation still waits for, as far as this client knows. */
  int awaitedReplies() {
    return userMessages - assistantMessages;
  }

  int delivered() {
    return receipts.size();
  }
}
