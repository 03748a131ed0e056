package chorus.bench.load;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Reading connect-step histograms out of two scrapes of the same nodes. */
class NodeMetricsTest {

  private static String scrape(double count, double sum, double le10ms, double le1s) {
    String labels = "node=\"b1\",profile=\"conversation\",stage=\"seat\"";
    return "# TYPE chorus_connect_stage_seconds histogram\n"
        + "chorus_connect_stage_seconds_bucket{" + labels + ",le=\"0.01\"} " + le10ms + "\n"
        + "chorus_connect_stage_seconds_bucket{le=\"1.0\"," + labels + "} " + le1s + "\n"
        + "chorus_connect_stage_seconds_bucket{le=\"+Inf\"," + labels + "} " + count + "\n"
        + "chorus_connect_stage_seconds_count{" + labels + "} " + count + "\n"
        + "chorus_connect_stage_seconds_sum{" + labels + "} " + sum + "\n"
        + "chorus_connect_stage_seconds_count{node=\"b1\",profile=\"conversation\",stage=\"live\"} 999.0\n";
  }

  @Test
  void onlyWhatHappenedBetweenTheScrapesOfEveryNodeCounts() {
    // node one: 10 connects before (all fast), 110 after: 100 more, 90 of them under 1 s, 10 fast
    // node two: nothing before, 100 after, all fast
    List<String> before = List.of(scrape(10, 0.05, 10, 10), "");
    List<String> after = List.of(scrape(110, 60.05, 20, 100), scrape(100, 0.5, 100, 100));
    JsonObject seat = NodeMetrics.connectStage(before, after, "conversation", "seat");
    assertEquals(200, seat.getLong("count"));
    assertEquals(302.5, seat.getDouble("mean_ms"));
    // 110 of 200 within 10 ms; 190 within 1 s; the 99th percentile is in the last bucket
    assertEquals(10.0, seat.getDouble("p50_ms"));
    assertEquals(-1.0, seat.getDouble("p99_ms"), "beyond the last finite bucket");
    assertEquals(0, NodeMetrics.connectStage(before, after, "user", "seat").getLong("count"));
  }

  @Test
  void anyTimersHistogramReadsTheSameWay() {
    String before = "chorus_ai_delta_latency_seconds_bucket{node=\"b1\",le=\"0.001\"} 5.0\n"
        + "chorus_ai_delta_latency_seconds_bucket{node=\"b1\",le=\"0.005\"} 5.0\n"
        + "chorus_ai_delta_latency_seconds_bucket{node=\"b1\",le=\"+Inf\"} 5.0\n"
        + "chorus_ai_delta_latency_seconds_count{node=\"b1\"} 5.0\nchorus_ai_delta_latency_seconds_sum{node=\"b1\"} 0.002\n";
    // 1,000 more: 980 within 1 ms, 995 within 5 ms, 5 beyond
    String after = "chorus_ai_delta_latency_seconds_bucket{node=\"b1\",le=\"0.001\"} 985.0\n"
        + "chorus_ai_delta_latency_seconds_bucket{node=\"b1\",le=\"0.005\"} 1000.0\n"
        + "chorus_ai_delta_latency_seconds_bucket{node=\"b1\",le=\"+Inf\"} 1005.0\n"
        + "chorus_ai_delta_latency_seconds_count{node=\"b1\"} 1005.0\nchorus_ai_delta_latency_seconds_sum{node=\"b1\"} 2.002\n";
    JsonObject node = NodeMetrics.aiDeltaLatency(List.of(before), List.of(after));
    assertEquals(1000, node.getLong("count"));
    assertEquals(2.0, node.getDouble("mean_ms"));
    assertEquals(1.0, node.getDouble("p50_ms"));
    assertEquals(5.0, node.getDouble("p99_ms"));
    assertEquals(-1.0, node.getDouble("p999_ms"), "beyond the last finite bucket");

    // the commits are the append timer's, read the same way, and another timer's are not theirs
    assertEquals(0, NodeMetrics.appendLatency(List.of(before), List.of(after)).getLong("count"));
    JsonObject appends = NodeMetrics.appendLatency(List.of(before.replace("chorus_ai_delta_latency", "chorus_append_latency") + before),
        List.of(after.replace("chorus_ai_delta_latency", "chorus_append_latency") + after));
    assertEquals(node, appends);
  }

  @Test
  void theSeriesOfEveryLoopAddUp() {
    // two loops, 100 samples each: one always on time, the other 60 on time and 40 late
    String after = "chorus_event_loop_lag_seconds_bucket{loop=\"l0\",node=\"b1\",le=\"0.001\"} 100.0\n"
        + "chorus_event_loop_lag_seconds_bucket{loop=\"l0\",node=\"b1\",le=\"0.1\"} 100.0\n"
        + "chorus_event_loop_lag_seconds_bucket{loop=\"l0\",node=\"b1\",le=\"+Inf\"} 100.0\n"
        + "chorus_event_loop_lag_seconds_count{loop=\"l0\",node=\"b1\"} 100.0\n"
        + "chorus_event_loop_lag_seconds_bucket{loop=\"l1\",node=\"b1\",le=\"0.001\"} 60.0\n"
        + "chorus_event_loop_lag_seconds_bucket{loop=\"l1\",node=\"b1\",le=\"0.1\"} 100.0\n"
        + "chorus_event_loop_lag_seconds_bucket{loop=\"l1\",node=\"b1\",le=\"+Inf\"} 100.0\n"
        + "chorus_event_loop_lag_seconds_count{loop=\"l1\",node=\"b1\"} 100.0\n"
        + "chorus_event_loop_verticles{loop=\"l1\",node=\"b1\",verticle=\"persistence\"} 1.0\n"
        + "chorus_event_loop_verticles{loop=\"l1\",node=\"b1\",verticle=\"ai\"} 1.0\n"
        + "chorus_event_loop_verticles{loop=\"l1\",node=\"b1\",verticle=\"gateway\"} 0.0\n"
        + "chorus_event_loop_verticles{loop=\"l10\",node=\"b1\",verticle=\"presence\"} 1.0\n"
        + "chorus_event_loop_verticles{loop=\"l0\",node=\"b1\",verticle=\"gateway-server\"} 2.0\n";
    JsonObject lag = NodeMetrics.eventLoopLag(List.of(""), List.of(after));
    assertEquals(200, lag.getLong("count"));
    assertEquals(1.0, lag.getDouble("p50_ms"), "160 of 200 within 1 ms");
    assertEquals(100.0, lag.getDouble("p99_ms"));
    assertEquals(100.0, lag.getDouble("worst_loop_p99_ms"));
    assertEquals("0/l1", lag.getString("worst_loop"), "the loop with late samples");
    assertEquals(List.of("ai", "persistence"), lag.getJsonArray("worst_loop_verticles").getList(), "what runs on it now, not on l10");
    assertEquals(List.of("gateway-server", "gateway-server"), NodeMetrics.verticlesOn(after, "l0"));
    assertEquals(List.of(), NodeMetrics.verticlesOn("", "l0"), "a node without the meter");
  }

  @Test
  void theNodeThatPausedMostIsTheFigure() {
    String before = "jvm_gc_pause_seconds_sum{action=\"end of minor GC\",cause=\"G1 Evacuation Pause\",gc=\"G1 Young Generation\",node=\"b1\"} 1.5\n";
    String after = "jvm_gc_pause_seconds_sum{action=\"end of minor GC\",cause=\"G1 Evacuation Pause\",gc=\"G1 Young Generation\",node=\"b1\"} 1.75\n"
        + "jvm_gc_pause_seconds_sum{action=\"end of major GC\",cause=\"G1 Compaction Pause\",gc=\"G1 Old Generation\",node=\"b1\"} 0.05\n";
    String other = "jvm_gc_pause_seconds_sum{action=\"end of minor GC\",cause=\"G1 Evacuation Pause\",gc=\"G1 Young Generation\",node=\"b2\"} 0.1\n";
    // node one: 250 ms young and 50 ms full in between; node two: 100 ms, all before
    assertEquals(300.0, NodeMetrics.mostGcPauseMillis(List.of(before, other), List.of(after, other)), 1e-9);
  }

  @Test
  void socketsOpenAddsUpEveryProfile() {
    String text = "# HELP chorus_sockets_open x\n# TYPE chorus_sockets_open gauge\n"
        + "chorus_sockets_open{node=\"b1\",profile=\"conversation\"} 3300.0\n"
        + "chorus_sockets_open{node=\"b1\",profile=\"user\"} 34.0\n"
        + "chorus_sockets_open_other{node=\"b1\"} 5.0\n";
    assertEquals(3334, NodeMetrics.sumOf(text, "chorus_sockets_open"));
  }
}
