package chorus.bench.load;

import io.vertx.core.Context;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * How far behind the load generator's own event loops run: each loop sets a short timer again
 * and again and records how much later than due it fired, counting a late firing once for
 * every period it kept the next from being set (so the figures are how late something due at
 * any moment was handled, not one sample per stall). A loop that is behind reads its sockets
 * as late, and a frame is timed when it is read, so a latency measured while the loop ran
 * this late is partly the load generator's, whatever the target (findings 55).
 */
final class LoopLag {
  static final long PERIOD_MS = 5;
  private final AtomicReference<Latency> lag = new AtomicReference<>(new Latency());

  /** Starts a probe on each of {@code loops} (one context per event loop); it runs as long as the load generator. */
  LoopLag(List<Context> loops) {
    for (Context loop : loops) {
      loop.runOnContext(v -> schedule(loop));
    }
  }

  private void schedule(Context loop) {
    long due = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(PERIOD_MS);
    loop.owner().setTimer(PERIOD_MS, id -> {
      lag.get().recordNanosEvery(System.nanoTime() - due, TimeUnit.MILLISECONDS.toNanos(PERIOD_MS));
      schedule(loop);
    });
  }

  /** What was recorded since the last call ({@code p50_ms}, {@code p99_ms}, {@code max_ms}, ..., {@code timer_ms}), and a fresh start. */
  JsonObject take() {
    JsonObject summary = lag.getAndSet(new Latency()).toJson();
    summary.remove("curve");
    return summary.put("timer_ms", PERIOD_MS);
  }
}
