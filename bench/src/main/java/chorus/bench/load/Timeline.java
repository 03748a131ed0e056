package chorus.bench.load;

import io.vertx.core.json.JsonArray;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Latencies by the second they were recorded in, counted from a start: shows whether a
 * percentile comes from the whole run or from a burst within it (a start-up or a spike).
 */
public final class Timeline {

  private final long startNanos;
  private final ConcurrentHashMap<Integer, Latency> seconds = new ConcurrentHashMap<>();

  public Timeline(long startNanos) {
    this.startNanos = startNanos;
  }

  public void recordNanos(long atNanos, long latencyNanos) {
    int second = (int) Math.max(0, (atNanos - startNanos) / 1_000_000_000L);
    seconds.computeIfAbsent(second, s -> new Latency()).recordNanos(latencyNanos);
  }

  /** [[second, count, p50 ms, p99 ms], ...] in order of seconds. */
  public JsonArray toJson() {
    JsonArray rows = new JsonArray();
    seconds.keySet().stream().sorted().forEach(second -> {
      Latency latency = seconds.get(second);
      rows.add(new JsonArray().add(second).add(latency.count())
          .add(Latency.round(latency.percentileMs(50))).add(Latency.round(latency.percentileMs(99))));
    });
    return rows;
  }
}
