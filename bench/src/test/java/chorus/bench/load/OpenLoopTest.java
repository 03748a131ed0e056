package chorus.bench.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The open-loop schedule and the payload every message carries. */
class OpenLoopTest {

  @Test
  void messagesComeDueOnTheScheduleNotWhenTheLastOneWasAnswered() {
    // 1000 msg/s: one due at once, one more each millisecond, whatever was answered
    assertEquals(0, OpenLoop.dueCount(-1, 1000, 100));
    assertEquals(1, OpenLoop.dueCount(0, 1000, 100));
    assertEquals(1, OpenLoop.dueCount(999_999, 1000, 100));
    assertEquals(2, OpenLoop.dueCount(1_000_000, 1000, 100));
    // a tick that comes 50 ms late sends everything that fell due meanwhile
    assertEquals(51, OpenLoop.dueCount(50_000_000, 1000, 100));
    assertEquals(100, OpenLoop.dueCount(5_000_000_000L, 1000, 100), "never more than the run's total");
    assertEquals(100, OpenLoop.total(1000, 100));
    assertEquals(1, OpenLoop.total(0.5, 100), "a run sends at least one message");
  }

  @Test
  void aRunStopsWhenToldAndSaysHowManyItSent() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      Promise<Void> stop = Promise.promise();
      AtomicLong handed = new AtomicLong();
      // 1,000 a second for an hour, stopped after about 200 ms
      var run = OpenLoop.run(vertx, 1000, 3_600_000, stop.future(), (i, intended) -> handed.incrementAndGet());
      vertx.setTimer(200, t -> stop.complete());
      long sent = run.toCompletionStage().toCompletableFuture().get(10, java.util.concurrent.TimeUnit.SECONDS);
      assertEquals(handed.get(), sent);
      assertTrue(sent >= 150 && sent < 10_000, "sent until stopped, not the hour's 3.6 million: " + sent);
      long after = handed.get();
      Thread.sleep(100);
      assertEquals(after, handed.get(), "nothing is sent once stopped");
    } finally {
      vertx.close().await();
    }
  }

  @Test
  void theIntendedTimeIsTheScheduleSoLatencyIncludesAnyLateSend() {
    long start = 5_000;
    assertEquals(start, OpenLoop.intendedNanos(start, 0, 3));
    assertEquals(start + 333_333_333, OpenLoop.intendedNanos(start, 1, 3));
    assertEquals(start + 1_000_000_000, OpenLoop.intendedNanos(start, 3, 3));
  }

  @Test
  void aPayloadRoundTripsThroughItsTextAndIdAndRejectsOtherText() {
    Payload p = new Payload(12, 34, 987_654_321_000L);
    assertEquals(p, Payload.parse(p.text()));
    assertEquals(p.key(), Payload.keyOfId(p.id()));
    assertEquals(Payload.key(12, 34), p.key());
    assertEquals(-1, Payload.keyOfId("nope"));
    assertNull(Payload.parse("hello"));
    assertNull(Payload.parse("bench 1 2"));
    assertNull(Payload.parse("bench a b c"));
    assertNull(Payload.parse(null));
  }
}
