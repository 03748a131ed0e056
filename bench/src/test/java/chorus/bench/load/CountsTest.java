package chorus.bench.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The exact counts: every message acked, refused or lost; every delivery once or missing. */
class CountsTest {

  private static final long NOW = 1_000_000_000L;

  @Test
  void aCleanRunAddsUpAndHasNoProblemEvenWhenStrict() {
    Tracker t = new Tracker();
    Payload a = new Payload(1, 0, NOW);
    Payload b = new Payload(2, 0, NOW);
    t.sent(a, 2);
    t.sent(b, 2);
    t.acked(a.key(), NOW + 5_000_000);
    t.acked(b.key(), NOW + 7_000_000);
    for (int receiver : new int[] {1, 2}) {
      t.delivered(receiver, a, NOW + 6_000_000, null);
      t.delivered(receiver, b, NOW + 8_000_000, null);
    }
    assertEquals(2, t.counts.acked.sum());
    assertEquals(0, t.counts.unanswered());
    assertEquals(4, t.counts.expectedDeliveries.sum());
    assertEquals(4, t.counts.delivered.sum());
    assertEquals(List.of(), t.counts.problems(true));
    assertEquals(5.0, t.ackLatency.percentileMs(0), 0.01);
    assertEquals(7.0, t.ackLatency.maxMs(), 0.01);
  }

  @Test
  void lossRefusalAndDuplicatesAreCountedAndFailOnlyAStrictCheck() {
    Tracker t = new Tracker();
    Payload acked = new Payload(1, 0, NOW);
    Payload refused = new Payload(1, 1, NOW);
    Payload lost = new Payload(1, 2, NOW);
    t.sent(acked, 3);
    t.sent(refused, 3);
    t.sent(lost, 3);
    t.acked(acked.key(), NOW + 1_000_000);
    t.acked(acked.key(), NOW + 2_000_000);          // a second ack is not a second message
    t.refused(refused.key(), "RATE_LIMITED");
    t.delivered(7, acked, NOW + 1_000_000, null);
    t.delivered(7, acked, NOW + 1_500_000, null);   // the same copy twice at one receiver
    t.delivered(8, acked, NOW + 1_000_000, null);

    Counts c = t.counts;
    assertEquals(3, c.sent.sum());
    assertEquals(1, c.acked.sum());
    assertEquals(1, c.refused.sum());
    assertEquals(1, c.unanswered());
    assertEquals(3, c.expectedDeliveries.sum(), "only the acked message owes deliveries");
    assertEquals(2, c.delivered.sum());
    assertEquals(1, c.missingDeliveries());
    assertEquals(1, c.duplicates.sum());
    assertEquals(1L, t.errors.get("RATE_LIMITED").sum());
    assertEquals(List.of(), c.problems(false));
    List<String> strict = c.problems(true);
    assertTrue(strict.contains("1 of 3 messages never answered (lost)"), strict.toString());
    assertTrue(strict.contains("1 messages refused by the server"), strict.toString());
    assertTrue(strict.contains("1 of 3 deliveries missing"), strict.toString());
    assertTrue(strict.contains("1 duplicate deliveries"), strict.toString());
    assertEquals(1, c.toJson().getLong("lost"));
  }

  @Test
  void moreDeliveriesThanExpectedIsAHarnessBugEvenWhenNotStrict() {
    Tracker t = new Tracker();
    Payload p = new Payload(1, 0, NOW);
    t.sent(p, 1);
    t.delivered(1, p, NOW, null);
    t.delivered(2, p, NOW, null);
    t.acked(p.key(), NOW);
    assertEquals(List.of("more distinct deliveries (2) than expected (1)"), t.counts.problems(false));
  }

  @Test
  void aMessageWhoseAckCameTooLateMayHaveReachedTheOthersWithoutAHarnessProblem() {
    Tracker t = new Tracker();
    Payload p = new Payload(1, 0, NOW);
    t.sent(p, 2);
    t.delivered(2, p, NOW, null);   // the other member got it; the sender's ack never came in time
    assertEquals(List.of(), t.counts.problems(false));
    assertEquals(1, t.counts.unanswered());
  }

  @Test
  void anEarlierStepsBacklogArrivingLateIsStaleNotADeliveryOfThisStep() {
    Tracker earlier = new Tracker();
    Payload old = new Payload(1, 0, NOW);
    earlier.sent(old, 1);
    Tracker now = new Tracker();
    Payload fresh = new Payload(1, 1, NOW);
    now.sent(fresh, 1);
    now.acked(old.key(), NOW);          // not this step's: ignored
    now.delivered(1, old, NOW, null);
    now.acked(fresh.key(), NOW);
    now.delivered(1, fresh, NOW, null);
    assertEquals(1, now.stale.sum());
    assertEquals(1, now.counts.acked.sum());
    assertEquals(1, now.counts.delivered.sum());
    assertEquals(List.of(), now.counts.problems(true));
  }

  @Test
  void theSendersSecondCopyOfAMessageItSentAgainIsTheIdempotentAnswerNotADuplicate() {
    Tracker t = new Tracker();
    Payload p = new Payload(3, 0, NOW);
    t.sent(p, 2);
    t.resent(p.key());
    t.acked(p.key(), NOW);
    t.delivered(3, p, NOW, null);
    t.delivered(3, p, NOW, null);   // the stored message, answered again to its sender
    t.delivered(4, p, NOW, null);
    t.delivered(4, p, NOW, null);   // but another receiver's second copy is a duplicate
    assertEquals(1, t.resendEchoes.sum());
    assertEquals(1, t.counts.duplicates.sum());
    assertEquals(2, t.counts.delivered.sum());
  }

  @Test
  void aStepThatLostATenthOrTookSecondsAtP99EndsTheSweep() {
    io.vertx.core.json.JsonObject fine = new io.vertx.core.json.JsonObject()
        .put("counts", new io.vertx.core.json.JsonObject().put("sent", 100).put("lost", 9).put("expected_deliveries", 1000).put("missing_deliveries", 99))
        .put("ack_latency", new io.vertx.core.json.JsonObject().put("p99_ms", 4999.0));
    assertEquals(false, Workloads.saturated(fine));
    assertEquals(true, Workloads.saturated(fine.copy().put("counts", fine.getJsonObject("counts").copy().put("lost", 11))));
    assertEquals(true, Workloads.saturated(fine.copy().put("counts", fine.getJsonObject("counts").copy().put("missing_deliveries", 101))));
    assertEquals(true, Workloads.saturated(fine.copy().put("ack_latency", new io.vertx.core.json.JsonObject().put("p99_ms", 6000.0))));
  }

  @Test
  void crossNodeDeliveriesAreSplitBySenderNode() {
    Tracker t = new Tracker();
    int[] senderNode = {0, 1};
    Deliveries onNode0 = new Deliveries(t, senderNode, 0);
    t.sent(new Payload(0, 0, NOW), 1);
    t.sent(new Payload(1, 0, NOW), 1);
    onNode0.deliver(5, new Payload(0, 0, NOW), NOW + 1_000_000);
    onNode0.deliver(5, new Payload(1, 0, NOW), NOW + 3_000_000);
    assertEquals(1, t.sameNodeLatency.count());
    assertEquals(1, t.crossNodeLatency.count());
    assertEquals(3.0, t.crossNodeLatency.maxMs(), 0.01);
  }

  @Test
  void aStepsRateIsPerSecondOfTheTimeItsAnswersTookNotOfTheOfferedDuration() {
    Tracker t = new Tracker();
    assertEquals(10.0, t.answeredSpanSeconds(10.0), 1e-9, "nothing sent: the offered duration");
    Payload first = new Payload(1, 0, NOW);
    Payload last = new Payload(1, 1, NOW + 9_000_000_000L);
    t.sent(first, 1);
    t.sent(last, 1);
    t.acked(first.key(), NOW + 1_000_000);
    t.acked(last.key(), NOW + 9_010_000_000L);
    assertEquals(10.0, t.answeredSpanSeconds(10.0), 1e-9, "answered within the step: its offered duration");
    // the backlog drained 4 s after the step's 10 s: 14 s
    t.delivered(2, last, NOW + 14_000_000_000L, null);
    assertEquals(14.0, t.answeredSpanSeconds(10.0), 1e-9);
  }
}
