package chorus.bench.load;

import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * The exact counts of one run. Every message sent ends in exactly one of acked, refused
 * (the server answered with an error: nothing stored) or unanswered (no answer before the
 * drain deadline: lost). Every delivery a receiver should get (one per receiver present
 * for each acked message) is either received once, or missing; a second copy is a
 * duplicate, never a delivery.
 */
public final class Counts {

  public final LongAdder sent = new LongAdder();
  public final LongAdder acked = new LongAdder();
  public final LongAdder refused = new LongAdder();
  public final LongAdder expectedDeliveries = new LongAdder();
  public final LongAdder delivered = new LongAdder();
  public final LongAdder duplicates = new LongAdder();
  /** Deliveries of messages this run never sent, or that arrived out of a sender's order. */
  public final LongAdder strays = new LongAdder();

  /** Sent but neither acked nor refused. */
  public long unanswered() {
    return sent.sum() - acked.sum() - refused.sum();
  }

  /** Deliveries that should have arrived and did not. */
  public long missingDeliveries() {
    return Math.max(0, expectedDeliveries.sum() - delivered.sum());
  }

  /**
   * What is wrong with these counts, if anything: a count that does not add up (more
   * answers than sends, more deliveries than expected) is a harness bug; losses, refusals
   * and duplicates are the system's, and only fail the check when {@code strict}.
   */
  public List<String> problems(boolean strict) {
    List<String> problems = new ArrayList<>();
    long sent = this.sent.sum();
    long answered = acked.sum() + refused.sum();
    if (answered > sent) {
      problems.add("more answers (" + answered + ") than messages sent (" + sent + ")");
    }
    // with every message answered, no receiver can have more than the acks promised (an
    // unanswered message may still have reached the others: its ack was what came late)
    if (unanswered() == 0 && delivered.sum() > expectedDeliveries.sum()) {
      problems.add("more distinct deliveries (" + delivered.sum() + ") than expected (" + expectedDeliveries.sum() + ")");
    }
    if (strict) {
      if (unanswered() > 0) {
        problems.add(unanswered() + " of " + sent + " messages never answered (lost)");
      }
      if (refused.sum() > 0) {
        problems.add(refused.sum() + " messages refused by the server");
      }
      if (missingDeliveries() > 0) {
        problems.add(missingDeliveries() + " of " + expectedDeliveries.sum() + " deliveries missing");
      }
      if (duplicates.sum() > 0) {
        problems.add(duplicates.sum() + " duplicate deliveries");
      }
      if (strays.sum() > 0) {
        problems.add(strays.sum() + " stray deliveries (unknown message or out of order)");
      }
    }
    return problems;
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("sent", sent.sum())
        .put("acked", acked.sum())
        .put("refused", refused.sum())
        .put("lost", unanswered())
        .put("expected_deliveries", expectedDeliveries.sum())
        .put("delivered", delivered.sum())
        .put("missing_deliveries", missingDeliveries())
        .put("duplicates", duplicates.sum())
        .put("strays", strays.sum());
  }
}
