package chorus.bench.load;

import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAccumulator;
import java.util.concurrent.atomic.LongAdder;

/**
 * Follows every message of a run from its send to its answer and its deliveries: fills
 * {@link Counts} exactly, and the latency histograms from each message's intended send time.
 * Safe to call from any event loop.
 */
public final class Tracker {

  public final Counts counts = new Counts();
  /** Intended send time to the sender's acknowledgement (for Chorus: committed). */
  public final Latency ackLatency = new Latency();
  /** Intended send time to a receiver's copy. */
  public final Latency deliveryLatency = new Latency();
  /** The same, split for multi-node runs: receiver on the sender's node or on another. */
  public final Latency sameNodeLatency = new Latency();
  public final Latency crossNodeLatency = new Latency();
  /** Error codes the server answered with (refusals, BUSY, RATE_LIMITED...). */
  public final Map<String, LongAdder> errors = new ConcurrentHashMap<>();

  private final Map<Long, Pending> pending = new ConcurrentHashMap<>();
  /** Each receiver's messages so far (a duplicate is a second add); primitive sets, see LongSet. */
  private final Map<Integer, LongSet> seenByReceiver = new ConcurrentHashMap<>();
  private final Set<Long> resent = ConcurrentHashMap.newKeySet();
  private final LongSet sentHere = new LongSet();
  /** Copies of messages an earlier step sent (its backlog draining into this one): neither counted nor timed here. */
  public final LongAdder stale = new LongAdder();
  /** Second copies a sender got because it sent the message again (same id): the protocol's idempotent answer, not a duplicate. */
  public final LongAdder resendEchoes = new LongAdder();

  /** The earliest intended send and the latest acknowledgement or delivery (System.nanoTime), for {@link #answeredSpanSeconds}. */
  private final LongAccumulator firstIntendedNanos = new LongAccumulator(Math::min, Long.MAX_VALUE);
  private final LongAccumulator lastAnswerNanos = new LongAccumulator(Math::max, Long.MIN_VALUE);

  private record Pending(long intendedNanos, int receivers) {}

  /** A message handed to the socket; {@code receivers}: deliveries it should make once acked. */
  public void sent(Payload payload, int receivers) {
    counts.sent.increment();
    synchronized (sentHere) {
      sentHere.add(payload.key());
    }
    pending.put(payload.key(), new Pending(payload.intendedNanos(), receivers));
    firstIntendedNanos.accumulate(payload.intendedNanos());
  }

  /** The sender's acknowledgement; a second one for the same message is ignored. */
  public void acked(long key, long nowNanos) {
    Pending p = pending.remove(key);
    if (p == null) {
      return;
    }
    counts.acked.increment();
    lastAnswerNanos.accumulate(nowNanos);
    counts.expectedDeliveries.add(p.receivers);
    ackLatency.recordNanos(nowNanos - p.intendedNanos);
  }

  /** The server refused the message (an error answer naming it). */
  public void refused(long key, String code) {
    if (pending.remove(key) != null) {
      counts.refused.increment();
    }
    error(code);
  }

  /** An error frame, attributable to a message or not. */
  public void error(String code) {
    errors.computeIfAbsent(code == null ? "?" : code, c -> new LongAdder()).increment();
  }

  /** A copy of a message arrived at {@code receiver}; {@code crossNode} null when there is one node. */
  public void delivered(int receiver, Payload payload, long nowNanos, Boolean crossNode) {
    boolean ours;
    synchronized (sentHere) {
      ours = sentHere.contains(payload.key());
    }
    if (!ours) {
      stale.increment();
      return;
    }
    LongSet seen = seenByReceiver.computeIfAbsent(receiver, r -> new LongSet());
    boolean first;
    synchronized (seen) {
      first = seen.add(payload.key());
    }
    if (!first) {
      if (receiver == payload.sender() && resent.contains(payload.key())) {
        resendEchoes.increment();
      } else {
        counts.duplicates.increment();
      }
      return;
    }
    counts.delivered.increment();
    lastAnswerNanos.accumulate(nowNanos);
    long latency = nowNanos - payload.intendedNanos();
    deliveryLatency.recordNanos(latency);
    if (crossNode != null) {
      (crossNode ? crossNodeLatency : sameNodeLatency).recordNanos(latency);
    }
  }

  /** The sender sent this message again with the same id (after a reconnect or a MESSAGE_ERROR): not a new message. */
  public void resent(long key) {
    resent.add(key);
  }

  /** A frame that looks like a delivery but names no message of this run. */
  public void stray() {
    counts.strays.increment();
  }

  /**
   * Seconds from the first intended send to the last answer (acknowledgement or delivery),
   * and at least {@code offeredSeconds}: the time the server took to carry what was offered.
   * A step offered faster than the server goes ends with a backlog that drains after the
   * last send; dividing by the offered duration alone would credit the server with the
   * offered rate.
   */
  public double answeredSpanSeconds(double offeredSeconds) {
    long first = firstIntendedNanos.get();
    long last = lastAnswerNanos.get();
    if (first == Long.MAX_VALUE || last == Long.MIN_VALUE) {
      return offeredSeconds;
    }
    return Math.max(offeredSeconds, (last - first) / 1e9);
  }

  public long pendingCount() {
    return pending.size();
  }

  public JsonObject errorsJson() {
    JsonObject json = new JsonObject();
    errors.forEach((code, n) -> json.put(code, n.sum()));
    return json;
  }
}
