package chorus.gateway;

import chorus.shared.Addresses;
import chorus.shared.bus.PersistenceAlive;
import io.vertx.core.Vertx;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which persistence role a conversation's appends go to: the same one from every gateway,
 * chosen by rendezvous hashing of the conversation over the persistence roles heard from
 * lately ({@code PersistenceAlive}, about every second). One batcher then writes a
 * conversation, so its appends from many nodes are committed together instead of each
 * node's transaction queueing on the conversation's row lock behind the others'.
 *
 * <p>This is only where appends are sent, never what makes them correct: while the roles
 * change (one starts, stops or dies), two may write one conversation for a moment, which
 * the database orders as before. With no role heard from, appends go to {@link Addresses#APPEND}
 * (any persistence role).
 */
public final class AppendRouting {
  /**
   * A role not heard from for this long (ten announcements missed) is not chosen. A role that
   * stopped or died is forgotten sooner, at the first append its address refuses
   * ({@link #unreachable}); this only catches one that went quiet. It is long so that a node
   * stalled for a few seconds (a pause, a busy machine) does not move its conversations.
   */
  static final long FORGET_AFTER_MS = 10_000;

  /** A persistence role's append address, and when it was last heard from. */
  private record Heard(String address, long nanos) {}

  /** By node run. */
  private final Map<String, Heard> heard = new ConcurrentHashMap<>();

  public AppendRouting(Vertx vertx) {
    vertx.eventBus().<PersistenceAlive>consumer(Addresses.PERSISTENCE_ALIVE, message -> {
      String instance = message.body().nodeInstance();
      heard.put(instance, new Heard(Addresses.appendAt(instance), System.nanoTime()));
    }).completion().onSuccess(listening -> vertx.eventBus().publish(Addresses.PERSISTENCE_ALIVE_QUERY, null));
  }

  /** The address to send an append of this conversation to. */
  public String addressFor(UUID conversationId) {
    long now = System.nanoTime();
    long conversationHash = conversationId.getMostSignificantBits() * 31 + conversationId.getLeastSignificantBits();
    String chosen = null;
    Heard chosenRole = null;
    long best = Long.MIN_VALUE;
    for (Map.Entry<String, Heard> role : heard.entrySet()) {
      if (now - role.getValue().nanos() > FORGET_AFTER_MS * 1_000_000L) {
        // a stopped or dead node run (unless it was heard from again just now)
        heard.remove(role.getKey(), role.getValue());
        continue;
      }
      long score = mix(conversationHash ^ mix(role.getKey().hashCode()));
      if (chosen == null || score > best || score == best && role.getKey().compareTo(chosen) < 0) {
        chosen = role.getKey();
        chosenRole = role.getValue();
        best = score;
      }
    }
    return chosenRole == null ? Addresses.APPEND : chosenRole.address();
  }

  /**
   * The role at this address has no handler any more (it stopped, or its node left the
   * cluster): forget it now, so that every gateway moves its conversations to the same next
   * role at once, not each at its own next announcement check. Heard from again, it is back.
   */
  public void unreachable(String address) {
    heard.entrySet().removeIf(role -> role.getValue().address().equals(address));
  }

  /** A 64-bit finalizer (SplitMix64's): nearby inputs give unrelated scores. */
  private static long mix(long value) {
    long z = value + 0x9E3779B97F4A7C15L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
