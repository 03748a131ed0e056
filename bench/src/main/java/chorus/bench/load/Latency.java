package chorus.bench.load;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;

/**
 * Latencies in microseconds, 1 µs to 10 minutes at 3 significant digits. Callers record
 * from the INTENDED send time of an open-loop schedule, so a stalled server shows up as
 * latency instead of as fewer samples (no coordinated omission).
 */
public final class Latency {

  private static final long MAX_MICROS = TimeUnit.MINUTES.toMicros(10);
  private final Histogram histogram;

  public Latency() {
    this.histogram = new ConcurrentHistogram(1, MAX_MICROS, 3);
  }

  private Latency(Histogram histogram) {
    this.histogram = histogram;
  }

  public void recordNanos(long nanos) {
    recordMicros(Math.max(1, nanos / 1000));
  }

  /**
   * A sample due every {@code intervalNanos} that came {@code nanos} late: the samples the
   * wait kept from being taken are counted too ({@code nanos - interval}, {@code - 2 x
   * interval}, ...), as something due at any moment of the wait would have waited
   * (HdrHistogram's correction for coordinated omission).
   */
  public void recordNanosEvery(long nanos, long intervalNanos) {
    histogram.recordValueWithExpectedInterval(Math.min(Math.max(1, nanos / 1000), MAX_MICROS), Math.max(1, intervalNanos / 1000));
  }

  public void recordMicros(long micros) {
    histogram.recordValue(Math.min(Math.max(1, micros), MAX_MICROS));
  }

  public long count() {
    return histogram.getTotalCount();
  }

  /** The value at the percentile, in milliseconds (0 when nothing was recorded). */
  public double percentileMs(double percentile) {
    if (histogram.getTotalCount() == 0) {
      return 0;
    }
    return histogram.getValueAtPercentile(percentile) / 1000.0;
  }

  public double maxMs() {
    return histogram.getTotalCount() == 0 ? 0 : histogram.getMaxValue() / 1000.0;
  }

  public double meanMs() {
    return histogram.getTotalCount() == 0 ? 0 : histogram.getMean() / 1000.0;
  }

  public Latency copy() {
    return new Latency(histogram.copy());
  }

  public void add(Latency other) {
    histogram.add(other.histogram);
  }

  /**
   * The summary every report row uses, plus the percentile curve (for the charts): points
   * at 0, 50, 75, 87.5 ... up to the maximum, as HdrHistogram's percentile iteration gives them.
   */
  public JsonObject toJson() {
    // a snapshot: late answers may still be recorded while the summary is written
    return copy().summary();
  }

  private JsonObject summary() {
    JsonObject json = new JsonObject()
        .put("count", count())
        .put("mean_ms", round(meanMs()))
        .put("p50_ms", round(percentileMs(50)))
        .put("p90_ms", round(percentileMs(90)))
        .put("p99_ms", round(percentileMs(99)))
        .put("p999_ms", round(percentileMs(99.9)))
        .put("max_ms", round(maxMs()));
    JsonArray curve = new JsonArray();
    if (count() > 0) {
      for (HistogramIterationValue v : histogram.percentiles(5)) {
        curve.add(new JsonArray().add(round(v.getPercentileLevelIteratedTo())).add(round(v.getValueIteratedTo() / 1000.0)));
        if (v.getPercentileLevelIteratedTo() >= 99.999) {
          break;
        }
      }
    }
    return json.put("curve", curve);
  }

  static double round(double value) {
    return Math.round(value * 1000.0) / 1000.0;
  }
}
