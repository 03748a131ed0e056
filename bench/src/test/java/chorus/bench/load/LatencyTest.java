package chorus.bench.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

/** Percentiles from HdrHistogram, and the summary the report reads. */
class LatencyTest {

  @Test
  void percentilesOfAKnownDistribution() {
    Latency l = new Latency();
    for (int ms = 1; ms <= 1000; ms++) {
      l.recordNanos(ms * 1_000_000L);
    }
    assertEquals(1000, l.count());
    assertEquals(500, l.percentileMs(50), 1);
    assertEquals(990, l.percentileMs(99), 1);
    assertEquals(999, l.percentileMs(99.9), 1);
    assertEquals(1000, l.maxMs(), 1);
    assertEquals(500.5, l.meanMs(), 1);
  }

  @Test
  void theSummaryHasTheReportsFiguresAndARisingCurve() {
    Latency l = new Latency();
    for (int i = 0; i < 10_000; i++) {
      l.recordMicros(100 + i % 900);
    }
    l.recordMicros(50_000);
    JsonObject json = l.toJson();
    assertEquals(10_001, json.getLong("count"));
    assertEquals(50.0, json.getDouble("max_ms"), 0.1);
    JsonArray curve = json.getJsonArray("curve");
    assertTrue(curve.size() > 5);
    double lastPercentile = -1;
    double lastValue = -1;
    for (Object o : curve) {
      JsonArray point = (JsonArray) o;
      assertTrue(point.getDouble(0) >= lastPercentile && point.getDouble(1) >= lastValue, curve.encode());
      lastPercentile = point.getDouble(0);
      lastValue = point.getDouble(1);
    }
  }

  @Test
  void anEmptyHistogramReportsZeroNotAnError() {
    Latency l = new Latency();
    assertEquals(0, l.percentileMs(99));
    assertEquals(0, l.toJson().getJsonArray("curve").size());
  }

  @Test
  void valuesOutsideTheRangeAreClampedNotThrown() {
    Latency l = new Latency();
    l.recordNanos(-5);
    l.recordMicros(Long.MAX_VALUE);
    assertEquals(2, l.count());
  }
}
