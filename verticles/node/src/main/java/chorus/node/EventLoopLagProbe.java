package chorus.node;

import chorus.shared.metrics.MeterNames;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import java.util.concurrent.TimeUnit;

/**
 * How far behind an event loop runs: a timer set again and again, timed against when it was
 * due ({@link MeterNames#EVENT_LOOP_LAG}, tagged with the loop's thread). A late one also
 * counts the periods it stood still, so the figures are how late something due at any moment
 * was run. Whatever waits on a loop (a socket's frames, an event-bus message, a database
 * answer) waits about as long: a loop kept busy by one hot path, or a node short of CPU, shows
 * here before it shows in latencies. Deployed once per event loop of the node.
 */
final class EventLoopLagProbe extends VerticleBase {
  private final MeterRegistry registry;
  private final long periodMs;
  private Timer lag;
  private long timerId = -1;

  EventLoopLagProbe(MeterRegistry registry, long periodMs) {
    this.registry = registry;
    this.periodMs = periodMs;
  }

  @Override
  public Future<?> start() {
    // start runs on this instance's event loop: its thread names the loop
    lag = Timer.builder(MeterNames.EVENT_LOOP_LAG).description("how much later than due a timer on this event loop fired")
        .tag("loop", Thread.currentThread().getName()).publishPercentileHistogram().register(registry);
    schedule();
    return Future.succeededFuture();
  }

  private void schedule() {
    long periodNanos = TimeUnit.MILLISECONDS.toNanos(periodMs);
    long due = System.nanoTime() + periodNanos;
    timerId = vertx.setTimer(periodMs, id -> {
      long late = Math.max(0, System.nanoTime() - due);
      lag.record(late, TimeUnit.NANOSECONDS);
      // the samples this wait kept from being taken: whatever came due during it waited too,
      // so a stall counts by how long it lasted, not once
      for (long missed = late - periodNanos; missed > 0; missed -= periodNanos) {
        lag.record(missed, TimeUnit.NANOSECONDS);
      }
      schedule();
    });
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(timerId);
    return Future.succeededFuture();
  }
}
