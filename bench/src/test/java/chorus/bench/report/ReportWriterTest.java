package chorus.bench.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The verdicts the report states, and that a workload that did not run is said, not dropped. */
class ReportWriterTest {

  private static JsonObject step(double rate, double ackP99, double deliveryP99, double deliveriesPerS, long lost, long missing) {
    return new JsonObject().put("label", rate + "").put("rate", rate).put("acked_per_s", rate).put("deliveries_per_s", deliveriesPerS)
        .put("counts", new JsonObject().put("sent", 10).put("acked", 10 - lost).put("refused", 0).put("lost", lost)
            .put("missing_deliveries", missing).put("duplicates", 0).put("expected_deliveries", 100).put("delivered", 100 - missing))
        .put("errors", new JsonObject())
        .put("ack_latency", latency(ackP99)).put("delivery_latency", latency(deliveryP99));
  }

  private static JsonObject latency(double p99) {
    return new JsonObject().put("p50_ms", p99 / 2).put("p99_ms", p99).put("p999_ms", p99 * 1.5).put("max_ms", p99 * 2)
        .put("curve", new JsonArray().add(new JsonArray().add(0.0).add(p99 / 4)).add(new JsonArray().add(99.0).add(p99)));
  }

  @Test
  void theHighestRateHeldIgnoresStepsOverTheBoundOrWithLoss() {
    JsonArray steps = new JsonArray()
        .add(step(1000, 10, 10, 0, 0, 0))
        .add(step(2000, 40, 40, 0, 0, 0))
        .add(step(3000, 30, 30, 0, 2, 0))     // under the bound but lost messages: not held
        .add(step(5000, 80, 80, 0, 0, 0));    // over the bound
    assertEquals(2000, ReportWriter.highestRateHeld(steps, 50));
    assertEquals(-1, ReportWriter.highestRateHeld(new JsonArray().add(step(1000, 60, 60, 0, 0, 0)), 50));
  }

  @Test
  void sustainedDeliveriesNeedNothingMissingAndP99UnderTheBound() {
    JsonArray steps = new JsonArray()
        .add(step(100, 5, 20, 10_000, 0, 0))
        .add(step(200, 5, 45, 20_000, 0, 0))
        .add(step(400, 5, 30, 40_000, 0, 7))
        .add(step(800, 5, 300, 80_000, 0, 0));
    assertEquals(20_000, ReportWriter.sustainedDeliveries(steps, 50));
  }

  @Test
  void aHeldStepCountsWhatItWasOfferedNotItsTail() {
    // 900,000 deliveries offered over 15 s, all delivered; the measured rate is lower by the last ones' latency
    JsonObject held = step(600, 40, 47, 59_961, 0, 0).put("duration_ms", 15_000L);
    held.getJsonObject("counts").put("expected_deliveries", 900_000L).put("delivered", 900_000L);
    JsonObject over = step(800, 40, 60, 79_950, 0, 0).put("duration_ms", 15_000L);
    over.getJsonObject("counts").put("expected_deliveries", 1_200_000L).put("delivered", 1_200_000L);
    assertEquals(60_000, ReportWriter.sustainedDeliveries(new JsonArray().add(held).add(over), 50));
    // a step that does not say what it was offered keeps its measured rate
    assertEquals(59_961, ReportWriter.offeredDeliveriesPerS(step(600, 40, 47, 59_961, 0, 0)));
  }

  @Test
  void aFigureHeldAtTheLargestStepIsAFloorAndDecidesOnlyWhereAFloorCan() {
    double top = 120_000;
    // neither held the top: both figures are limits
    assertEquals("**met**", ReportWriter.atLeast(90_000, 60_000, 1.5, top, "Socket.IO"));
    assertEquals("**not met**", ReportWriter.atLeast(80_000, 60_000, 1.5, top, "Socket.IO"));
    // Chorus at the top, the peer's limit known: met stays met, a shortfall is not known
    assertEquals("**met**", ReportWriter.atLeast(120_000, 60_000, 1.5, top, "Socket.IO"));
    assertEquals("**not judged** (Chorus held the largest step run, 120000 deliveries/s: a floor, not a limit; "
        + "more steps: BENCH_FANOUT_CONVERSATIONS)", ReportWriter.atLeast(120_000, 100_000, 1.5, top, "Socket.IO"));
    // the peer at the top: a shortfall stays one, a lead is not known
    assertEquals("**not met**", ReportWriter.atLeast(100_000, 120_000, 1.5, top, "Socket.IO"));
    assertTrue(ReportWriter.atLeast(80_000, 120_000, 0.5, top, "the raw server").startsWith("**not judged** (the raw server held"));
    // both at the top: nothing is known of their ratio
    assertTrue(ReportWriter.atLeast(120_000, 120_000, 1.5, top, "Socket.IO").startsWith("**not judged** (both Chorus and Socket.IO held"));
    assertTrue(ReportWriter.atLeast(120_000, 120_000, 0.5, top, "the raw server").startsWith("**not judged** (both"));
    // nothing held
    assertEquals("**not met** (Chorus held no step under 50 ms)", ReportWriter.atLeast(-1, 60_000, 1.5, top, "Socket.IO"));
  }

  @Test
  void theLargestStepRunIsTheMostAnyServerWasOffered() {
    JsonArray chorus = new JsonArray().add(step(100, 5, 5, 10_000, 0, 0)).add(step(200, 5, 80, 19_000, 0, 0));
    JsonArray socketIo = new JsonArray().add(step(100, 5, 5, 10_000, 0, 0)).add(step(200, 5, 5, 20_000, 0, 0))
        .add(step(400, 5, 5, 40_000, 0, 0));
    assertEquals(40_000, ReportWriter.ladderTop(java.util.Arrays.asList(chorus, socketIo, null)));
  }

  @Test
  void ratiosAndPgbenchLines() {
    assertEquals("1.50x", ReportWriter.ratio(15_000, 10_000));
    assertEquals("n/a", ReportWriter.ratio(-1, 10_000));
    assertEquals("n/a", ReportWriter.ratio(5, 0));
    String line = "tps=812.5 rows_per_s=812.5 latency_avg_ms=9.8";
    assertEquals(812.5, ReportWriter.pgbenchFigure(line, "tps"));
    assertEquals(9.8, ReportWriter.pgbenchFigure(line, "latency_avg_ms"));
    assertEquals(-1, ReportWriter.pgbenchFigure(line, "nope"));
    assertEquals(-1, ReportWriter.pgbenchFigure(null, "tps"));
  }

  @Test
  void theReadmeBlockBetweenTheMarkersIsReplacedAndTheRestKept() {
    String readme = "# Chorus\n\n## Benchmarks\n\n" + ReportWriter.HEADLINE_START + "\nold figures\n" + ReportWriter.HEADLINE_END + "\n\n## Layout\n";
    String updated = ReportWriter.withHeadline(readme, "| new | figures |\n");
    assertEquals("# Chorus\n\n## Benchmarks\n\n" + ReportWriter.HEADLINE_START + "\n| new | figures |\n" + ReportWriter.HEADLINE_END
        + "\n\n## Layout\n", updated);
    assertEquals("no markers", ReportWriter.withHeadline("no markers", "x"));
  }

  @Test
  void theReportStatesGoalsPlainlyAndNamesWhatDidNotRun(@TempDir Path dir) throws Exception {
    Map<String, JsonObject> results = new TreeMap<>();
    results.put("roundtrip", new JsonObject().put("workload", "roundtrip").put("problems", new JsonArray()).put("warmup_ms", 60_000)
        .put("steps", new JsonArray().add(step(1000, 10, 10, 0, 0, 0)).add(step(5000, 30, 30, 0, 0, 0))));
    results.put("pgbench", new JsonObject().put("clients", 8).put("one_row", "tps=900 rows_per_s=900 latency_avg_ms=8")
        .put("batched", "tps=50 rows_per_s=5000 latency_avg_ms=100"));
    results.put("reconnect", new JsonObject().put("workload", "reconnect").put("not_run", "needs nginx"));
    ReportWriter writer = new ReportWriter(results, new JsonObject().put("cores", 2).put("quick", false), dir, "bench");
    String md = writer.render();
    assertTrue(md.contains("| 2 round trip | more acked msg/s than pgbench one-row tps | 5000 acked/s vs 900 tps | **met** |"), md);
    assertTrue(md.contains("| 2 round trip | p99 < 25 ms at 5,000 msg/s | p99 30.0 ms | **not met** |"), md);
    assertTrue(md.contains("Highest offered rate held with p99 under 50 ms and nothing lost: **5000 msg/s**"), md);
    assertTrue(md.contains("reconnect: **not run**: needs nginx"), md);
    assertTrue(md.contains("Measured after 60 s of untimed load at the first rate"), md);
    assertTrue(md.contains("| 1 idle | 50,000 sockets, <= 20 KiB heap each | not measured | **not measured** |"), md);
    // fan-out and cross-node did not run: their goals are not measured, with no "none held" table
    assertTrue(md.contains("| 3 fan-out | >= 1.5x Socket.IO's deliveries/s | not measured | **not measured** |"), md);
    assertTrue(md.contains("| 3 fan-out | >= half the raw broadcast limit | not measured | **not measured** |"), md);
    assertTrue(md.contains("| 4 cross-node | >= 1.5x Socket.IO's deliveries/s (PostgreSQL adapter, 3 processes) | not measured | **not measured** |"), md);
    assertTrue(md.contains("| 4 cross-node | cross-node adds <= 2 ms at p99 over same-node | not measured | **not measured** |"), md);
    assertFalse(md.contains("none held"), md);
    assertTrue(Files.readString(dir.resolve("roundtrip-latency.svg")).startsWith("<svg"));
    assertFalse(md.contains("NaN"));
  }

  @Test
  void pgbenchAtFixedRatesStandsBesideTheRoundTripAtTheSameRate(@TempDir Path dir) throws Exception {
    Map<String, JsonObject> results = new TreeMap<>();
    results.put("roundtrip", new JsonObject().put("workload", "roundtrip").put("problems", new JsonArray())
        .put("steps", new JsonArray().add(step(1000, 10, 10, 0, 0, 0)).add(step(5000, 30, 30, 0, 0, 0))));
    results.put("pgbench", new JsonObject().put("clients", 8).put("one_row", "tps=900 rows_per_s=900 latency_avg_ms=8")
        .put("batched", "tps=50 rows_per_s=5000 latency_avg_ms=100")
        .put("one_row_at_rates", new JsonArray().add("rate=1000 tps=998.5 p50_ms=0.460 p99_ms=2.009 p999_ms=5.882 max_ms=39.077")
            .add("").add("rate=5000 tps=4991.9 p50_ms=0.531 p99_ms=31.482 p999_ms=59.457 max_ms=108.582")
            .add("rate=10000 tps=9100.0 p50_ms=100.000 p99_ms=900.000 p999_ms=950.000 max_ms=990.000")));
    String md = new ReportWriter(results, new JsonObject().put("cores", 2).put("quick", false), dir, "bench").render();
    assertTrue(md.contains("| 1000 | 999 | 0.46 / 2.01 / 5.88 | 5.00 / 10.00 / 15.00 |\n"), md);
    assertTrue(md.contains("| 5000 | 4992 | 0.53 / 31.48 / 59.46 | 15.00 / 30.00 / 45.00 |\n"), md);
    assertTrue(md.contains("| 10000 | 9100 | 100.00 / 900.00 / 950.00 | not run |\n"), "a rate Chorus was not offered: " + md);
    assertTrue(md.contains("| 2 round trip | p99 < 25 ms at 5,000 msg/s | p99 30.0 ms (pgbench's one-row insert at 5,000 tps: p99 31.5 ms) | **not met** |"), md);
  }

  @Test
  void theReportSaysHowLongTheLoadGeneratorStoodStillInEachTargetsSteps(@TempDir Path dir) throws Exception {
    Map<String, JsonObject> results = new TreeMap<>();
    JsonArray chorus = new JsonArray().add(step(100, 10, 10, 10_000, 0, 0).put("loadgen_gc_ms_per_s", 3.5))
        .add(step(400, 10, 10, 40_000, 0, 0).put("loadgen_gc_ms_per_s", 12.25));
    JsonArray socketio = new JsonArray().add(step(100, 10, 10, 10_000, 0, 0).put("loadgen_gc_ms_per_s", 1.0))
        .add(step(400, 10, 10, 40_000, 0, 0).put("loadgen_gc_ms_per_s", 0.5));
    results.put("fanout-chorus", new JsonObject().put("workload", "fanout").put("target", "chorus").put("problems", new JsonArray()).put("steps", chorus));
    results.put("fanout-socketio", new JsonObject().put("workload", "fanout").put("target", "socketio").put("problems", new JsonArray()).put("steps", socketio));
    String md = new ReportWriter(results, new JsonObject().put("cores", 2).put("quick", false), dir, "bench").render();
    assertTrue(md.contains("In the measured steps the load generator's own garbage collections stopped it for up to 12.3 ms a second with "
        + "chorus (at 400.0), 1.0 with socketio (at 100.0): a frame arriving meanwhile is timed late, whatever the target."), md);

    assertFalse(md.contains("event loop ran behind"), "no loop lag recorded, none reported: " + md);

    // the loop's lag: the step where it ran furthest behind, per target
    chorus.getJsonObject(0).put("loadgen_loop_lag", lag(0.2, 48.5));
    chorus.getJsonObject(1).put("loadgen_loop_lag", lag(9.0, 31.0));
    socketio.getJsonObject(1).put("loadgen_loop_lag", lag(0.1, 0.4));
    String lagging = new ReportWriter(results, new JsonObject().put("cores", 2).put("quick", false), dir, "bench").render();
    assertTrue(lagging.contains("whatever the target. Its event loop ran behind by a p99 of up to 48.5 ms with chorus (at 100.0; p50 0.2 ms), "
        + "0.4 ms with socketio (at 400.0; p50 0.1 ms) (a timer set every 5 ms, timed against when it was due, a late one counted for every period it stood still)"), lagging);

    // Chorus's own loops, from its nodes' meter: only Chorus has them
    assertFalse(lagging.contains("Chorus's own event loops"), lagging);
    chorus.getJsonObject(0).put("node_loop_lag", lag(1.0, 12.6).put("nodes", 3));
    chorus.getJsonObject(1).put("node_loop_lag", lag(1.0, 44.7).put("nodes", 3).put("worst_loop_p99_ms", 89.5)
        .put("worst_loop", "2/vert.x-eventloop-thread-1").put("worst_loop_verticles", new JsonArray().add("ai").add("persistence")))
        .put("node_gc_ms_per_s", 31.5);
    String nodes = new ReportWriter(results, new JsonObject().put("cores", 2).put("quick", false), dir, "bench").render();
    assertTrue(nodes.contains("Chorus's own event loops (`chorus_event_loop_lag_seconds`, every loop of its 3 nodes together; a timer on each, "
        + "timed against when it was due, a late one counted for every period it stood still) ran behind by a p99 of <= 44.7 ms at most "
        + "(at 400.0; p50 <= 1.0 ms; the loop furthest behind: <= 89.5 (vert.x-eventloop-thread-1: ai, persistence)); in that step a node stood still in "
        + "its collections for 31.5 ms a second: a message waiting"), nodes);

    // results from before the figure was recorded: no sentence rather than a made-up one
    chorus.forEach(step -> ((JsonObject) step).remove("node_loop_lag"));
    chorus.forEach(step -> ((JsonObject) step).remove("loadgen_loop_lag"));
    socketio.forEach(step -> ((JsonObject) step).remove("loadgen_loop_lag"));
    chorus.forEach(step -> ((JsonObject) step).remove("loadgen_gc_ms_per_s"));
    socketio.forEach(step -> ((JsonObject) step).remove("loadgen_gc_ms_per_s"));
    String older = new ReportWriter(results, new JsonObject().put("cores", 2).put("quick", false), dir, "bench").render();
    assertFalse(older.contains("load generator's own garbage collections"), older);
    assertFalse(older.contains("event loop ran behind"), older);
    assertFalse(older.contains("Chorus's own event loops"), older);
  }

  private static JsonObject lag(double p50, double p99) {
    return new JsonObject().put("count", 3000).put("p50_ms", p50).put("p99_ms", p99).put("max_ms", p99 * 2).put("timer_ms", 5);
  }

  @Test
  void anOpenLoopWarmUpSaysWhetherTheNodeHadFinishedCompiling(@TempDir Path dir) throws Exception {
    JsonObject warmup = new JsonObject().put("slices", 6).put("min_slices", 4).put("max_slices", 12).put("slice_ms", 15_000)
        .put("seconds", 90.4).put("jit_settled_ms_per_s", 50.0).put("last_jit_ms_per_s", 22.0);
    Map<String, JsonObject> results = new TreeMap<>();
    results.put("roundtrip", new JsonObject().put("workload", "roundtrip").put("problems", new JsonArray()).put("warmup_ms", 90_400)
        .put("warmup", warmup).put("steps", new JsonArray().add(step(1000, 10, 10, 0, 0, 0))));
    String settled = new ReportWriter(results, new JsonObject().put("cores", 2).put("quick", false), dir, "bench").render();
    assertTrue(settled.contains("Measured after 90 s of untimed load at the first rate on the same sockets (a fresh JVM's JIT takes much of these "
        + "cores for minutes; the figures are meant to be a node in service's). The warm-up ran at least 60 s, then on until a 15 s stretch in "
        + "which each Chorus node's JIT compiler threads used under 50 ms of CPU a second (1,000 is a whole core): 22 in its last, so the measured "
        + "steps ran on compiled code, as on a node in service."), settled);
    assertFalse(settled.contains("In every measured step"), settled);

    // steps that say how much the nodes compiled during each
    JsonArray steps = results.get("roundtrip").getJsonArray("steps");
    steps.getJsonObject(0).put("node_jit_ms_per_s", 31.0);
    steps.add(step(2000, 10, 10, 0, 0, 0).put("node_jit_ms_per_s", 12.0));
    String stepsSettled = new ReportWriter(results, new JsonObject().put("cores", 2).put("quick", false), dir, "bench").render();
    assertTrue(stepsSettled.contains("as on a node in service. In every measured step too they used under 50 ms a second (the most: 31, at 1000.0)."),
        stepsSettled);
    steps.getJsonObject(1).put("node_jit_ms_per_s", 187.0);
    String stepsCompiling = new ReportWriter(results, new JsonObject().put("cores", 2).put("quick", false), dir, "bench").render();
    assertTrue(stepsCompiling.contains("as on a node in service. In the measured steps the busiest node's compilers used up to 187 ms a second "
        + "(at 2000.0)."), stepsCompiling);
    steps.remove(1);
    steps.getJsonObject(0).remove("node_jit_ms_per_s");

    warmup.put("slices", 12).put("last_jit_ms_per_s", 95.0);
    String compiling = new ReportWriter(results, new JsonObject().put("cores", 2).put("quick", false), dir, "bench").render();
    assertTrue(compiling.contains("then on, up to 180 s, until a 15 s stretch in which each Chorus node's JIT compiler threads used under 50 ms of CPU "
        + "a second (1,000 is a whole core): 95 in its last, **so the node was still compiling when measured**."), compiling);

    // a warm-up that could not go on (a --quick run's single stretch)
    warmup.put("slices", 1).put("min_slices", 1).put("max_slices", 1).put("slice_ms", 1000).put("last_jit_ms_per_s", 412.0);
    String quick = new ReportWriter(results, new JsonObject().put("cores", 2).put("quick", false), dir, "bench").render();
    assertTrue(quick.contains("The warm-up ran 1 s, not waiting for the JIT: in its last 1 s stretch each Chorus node's JIT compiler threads used "
        + "up to 412 ms of CPU a second (1,000 is a whole core), **so the node was still compiling when measured**."), quick);

    // a peer's warm-up (no node PIDs to read): only its length
    warmup.put("last_jit_ms_per_s", -1.0);
    String peer = new ReportWriter(results, new JsonObject().put("cores", 2).put("quick", false), dir, "bench").render();
    assertTrue(peer.contains("the figures are meant to be a node in service's).\n"), peer);
    assertFalse(peer.contains("The warm-up ran"), peer);
  }

  @Test
  void theStormReportSaysOnWhatCoresAndLoopsItRan(@TempDir Path dir) throws Exception {
    JsonObject counts = new JsonObject().put("sent", 10).put("acked", 10).put("refused", 0).put("lost", 0)
        .put("missing_deliveries", 0).put("duplicates", 0).put("expected_deliveries", 100).put("delivered", 100);
    JsonObject storm = new JsonObject().put("sockets", 300).put("sockets_per_node_before", new JsonArray().add(100).add(100).add(100))
        .put("dropped", 100).put("still_down", 0).put("reconnect_attempts", 400).put("recovery_seconds", 9.5)
        .put("downtime_per_socket", latency(900)).put("counts", counts).put("errors", new JsonObject())
        .put("ack_latency", latency(50));
    Map<String, JsonObject> results = new TreeMap<>();
    results.put("reconnect", new JsonObject().put("workload", "reconnect").put("problems", new JsonArray())
        .put("load_event_loops", 2).put("node_cpus", "1").put("steps", new JsonArray().add(storm)));
    String md = new ReportWriter(results, new JsonObject().put("cores", 2).put("quick", false), dir, "bench").render();
    assertTrue(md.contains("Each Chorus node is told it has 1 core(s) (`-XX:ActiveProcessorCount`"), md);
    assertTrue(md.contains("The clients run on 2 event loop(s) of the load generator"), md);
    assertTrue(md.contains("| 6 reconnect storm | all back and resumed < 10 s, nothing lost | 9.5 s | **met** |"), md);

    // nodes that were not told a share: nothing is claimed
    results.get("reconnect").put("node_cpus", "all").put("load_event_loops", 1);
    String untold = new ReportWriter(results, new JsonObject().put("cores", 2).put("quick", false), dir, "bench").render();
    assertFalse(untold.contains("Each Chorus node is told"), untold);
    assertTrue(untold.contains("The clients run on 1 event loop(s)"), untold);
    assertFalse(untold.contains("Before the kill"), "a run without a warm-up claims none: " + untold);

    // every socket left and resumed twice before the kill, until the nodes' compilers settled
    JsonObject warmup = new JsonObject().put("slices", 2).put("min_slices", 1).put("max_slices", 6).put("seconds", 41.6)
        .put("jit_settled_ms_per_s", 50.0).put("last_jit_ms_per_s", 31.0).put("connects", 600);
    results.get("reconnect").put("warmup", warmup);
    storm.put("survivors_jit_ms_per_s", 12.0);
    String warmed = new ReportWriter(results, new JsonObject().put("cores", 2).put("quick", false), dir, "bench").render();
    assertTrue(warmed.contains("Before the kill, with the messages already flowing, every socket left and came back through nginx with `last_seq` "
        + "2 times (600 connects in 42 s), as clients do after a network change: the set-up's one connect per socket (about 100 per node) is too "
        + "few for the JIT to have compiled the connect path, and a node in service has taken many more. The warm-up ran at least 1 round, then on "
        + "until a round in which each Chorus node's JIT compiler threads used under 50 ms of CPU a second (1,000 is a whole core): 31 in its last, "
        + "so the measured storm ran on compiled code, as on a node in service (the survivors' compilers used 12 ms a second in the storm).\n"), warmed);

    warmup.put("slices", 6).put("last_jit_ms_per_s", 70.0);
    String compiling = new ReportWriter(results, new JsonObject().put("cores", 2).put("quick", false), dir, "bench").render();
    assertTrue(compiling.contains("then on, up to 6, until a round in which each Chorus node's JIT compiler threads used under 50 ms of CPU a second "
        + "(1,000 is a whole core): 70 in its last, **so the node was still compiling when measured** (the survivors' compilers"), compiling);
  }

  @Test
  void everyCrossNodeTableWithTheSplitHasItsColumns(@TempDir Path dir) throws Exception {
    Map<String, JsonObject> results = new TreeMap<>();
    for (String target : java.util.List.of("chorus", "socketio")) {
      JsonObject one = step(100, 5, 9, 10_000, 0, 0).put("same_node_latency", latency(8)).put("cross_node_latency", latency(10));
      results.put("crossnode-" + target, new JsonObject().put("workload", "crossnode").put("target", target).put("problems", new JsonArray())
          .put("steps", new JsonArray().add(one)));
    }
    String md = new ReportWriter(results, new JsonObject().put("cores", 2).put("quick", false), dir, "bench").render();
    String header = "| conversations x members | offered msg/s | acked | lost | deliveries/s | missing | dup | p50 ms | p99 ms | p99.9 ms | same-node p99 | cross-node p99 |";
    assertEquals(2, md.split(java.util.regex.Pattern.quote(header), -1).length - 1, md);
    assertEquals(2, md.split(java.util.regex.Pattern.quote("| 100.0 | 100 | 10 | 0 | 10000 | 0 | 0 | 4.50 | 9.00 | 13.50 | 8.00 | 10.00 |"), -1).length - 1, md);
  }
  private static JsonObject aiRound(String shape, int generations, int concurrency, double p99) {
    JsonObject counts = new JsonObject().put("expected_deliveries", 1000).put("delivered", 1000).put("duplicates", 0).put("replies_stored", 10)
        .put("asks_waited_for_a_conversation", 0);
    JsonObject round = new JsonObject().put("generations", generations).put("tokens_per_reply", 100).put("token_interval_ms", 50)
        .put("provider_max_concurrent", concurrency).put("counts", counts).put("errors", new JsonObject())
        .put("deltas_per_s", 9000.0).put("delivery_latency", latency(p99)).put("first_delta_latency", latency(400))
        .put("delivery_timeline", new JsonArray().add(new JsonArray().add(1).add(100).add(p99 / 2).add(p99)));
    if (shape != null) {
      round.put("shape", shape).put("asks_per_s", "burst".equals(shape) ? 1000.0 : 200.0);
    }
    if ("steady".equals(shape)) {
      round.put("measured_asks", new JsonArray().add(generations / 4).add(generations * 3 / 4)).put("measured_deltas_per_s", 20000.0)
          .put("concurrent_wanted", generations / 4);
    }
    return round;
  }

  @Test
  void theAiReportSaysWhetherItsNodeHadFinishedCompiling(@TempDir Path dir) throws Exception {
    JsonObject warmup = new JsonObject().put("rounds", 12).put("tokens_per_reply", 100).put("with_steady", true).put("seconds", 100.0).put("min_rounds", 3)
        .put("max_rounds", 40).put("jit_settled_ms_per_s", 50.0).put("last_round_jit_ms_per_s", 31.0)
        .put("counts", new JsonObject().put("delivered", 1200000).put("expected_deliveries", 1200000).put("replies_stored", 12000).put("sent", 12000));
    JsonObject burst = aiRound("burst", 1000, 1000, 90).put("node_jit_ms_per_s", 12.0).put("warmup", warmup);
    JsonObject steady = aiRound("steady", 4000, 1010, 4).put("node_jit_ms_per_s", 8.0);
    Map<String, JsonObject> results = new TreeMap<>();
    results.put("ai", new JsonObject().put("workload", "ai").put("problems", new JsonArray()).put("steps", new JsonArray().add(burst).add(steady)));
    String settled = new ReportWriter(results, new JsonObject().put("cores", 2).put("quick", false), dir, "bench").render();
    assertTrue(settled.contains("Measured after 12 warm-up rounds on the same sockets and node (each a burst and a steady round of 3 reply lengths, "
        + "100 tokens per reply, not in the figures; 1200000 of 1200000 deltas and 12000 of 12000 replies arrived in them, in 100.0 s)."), settled);
    assertTrue(settled.contains("The warm-up ran at least 3 rounds, then on until a round in which each Chorus node's JIT compiler threads used "
        + "under 50 ms of CPU a second (1,000 is a whole core): 31 in its last, so the measured rounds ran on compiled code, as on a node in "
        + "service (they used 12 ms a second in the burst and 8 in the steady round)."), settled);

    // forty rounds and the JIT still busy: the report says the node was measured compiling
    warmup.put("rounds", 40).put("last_round_jit_ms_per_s", 140.0);
    String compiling = new ReportWriter(results, new JsonObject().put("cores", 2).put("quick", false), dir, "bench").render();
    assertTrue(compiling.contains("then on, up to 40, until a round in which each Chorus node's JIT compiler threads used under 50 ms of CPU a second "
        + "(1,000 is a whole core): 140 in its last, **so the node was still compiling when measured**"), compiling);

    // a result that did not read the node's JIT says nothing about it
    warmup.remove("last_round_jit_ms_per_s");
    String unknown = new ReportWriter(results, new JsonObject().put("cores", 2).put("quick", false), dir, "bench").render();
    assertTrue(unknown.contains("Measured after 40 warm-up rounds"), unknown);
    assertFalse(unknown.contains("The warm-up ran"), unknown);
  }

  @Test
  void theAiReportGivesTheNodesOwnShareWhenItWasRead(@TempDir Path dir) throws Exception {
    JsonObject burst = aiRound("burst", 1000, 1000, 90).put("node_delta_latency",
        new JsonObject().put("count", 100000).put("mean_ms", 3.2).put("p50_ms", 1.0).put("p99_ms", 22.4).put("p999_ms", -1.0));
    burst.put("node_loop_lag", new JsonObject().put("count", 4000).put("mean_ms", 2.5).put("p50_ms", 1.0).put("p99_ms", 35.8).put("p999_ms", 143.2));
    JsonObject steady = aiRound("steady", 4000, 1010, 40).put("node_delta_latency", new JsonObject().put("count", 0));
    Map<String, JsonObject> results = new TreeMap<>();
    results.put("ai", new JsonObject().put("workload", "ai").put("problems", new JsonArray()).put("steps", new JsonArray().add(burst).add(steady)));
    String md = new ReportWriter(results, new JsonObject().put("cores", 2).put("quick", false), dir, "bench").render();
    assertTrue(md.contains("| burst | 100000 | <= 1.0 | <= 22.4 | over the last bucket | 3.20 |"), md);
    assertFalse(md.contains("| steady | 0 |"), "a round with no delta timed has no row: " + md);
    assertTrue(md.contains("How far behind the node's event loops ran meanwhile"), md);
    assertTrue(md.contains("| burst | 4000 | <= 1.0 | <= 35.8 | <= 143.2 | 2.50 | - | - |"), md);

    // a result from before the node timed its deltas says nothing about it
    burst.remove("node_delta_latency");
    String older = new ReportWriter(results, new JsonObject().put("cores", 2).put("quick", false), dir, "bench").render();
    assertFalse(older.contains("Inside the node"), older);
    assertFalse(older.contains("event loops ran meanwhile"), older);
  }

  @Test
  void theAiGoalIsJudgedOnTheSteadyRoundWithTheBurstStillShown(@TempDir Path dir) throws Exception {
    Map<String, JsonObject> results = new TreeMap<>();
    results.put("ai", new JsonObject().put("workload", "ai").put("problems", new JsonArray())
        .put("steps", new JsonArray().add(aiRound("burst", 1000, 1000, 90)).add(aiRound("steady", 4000, 1010, 4))));
    String md = new ReportWriter(results, new JsonObject().put("cores", 2).put("quick", false), dir, "bench").render();
    assertTrue(md.contains("**Steady**: asks arrive open-loop at 1000 per reply's length"), md);
    assertTrue(md.contains("so about 1000 replies stream at any moment"), md);
    assertTrue(md.contains("| steady | 4000 x 100 tokens @ 50 ms (1000-2999 measured; 0 waited for a free conversation) | 200 | 1010 | 1000 | 1000 | 0 | 10 | 20000 | 2.00 | 4.00 |"), md);
    assertTrue(md.contains("| burst | 1000 x 100 tokens @ 50 ms | 1000 | 1000 | 1000 | 1000 | 0 | 10 | 9000 | 45.00 | 90.00 |"), md);
    assertTrue(md.contains("| steady: 1010 concurrent, p99 4.00 ms (burst, all asking within a second: p99 90.00 ms) | **met** |"), md);

    // a steady round short of 1,000 streams is not met whatever its latency
    results.get("ai").put("steps", new JsonArray().add(aiRound("burst", 1000, 1000, 90)).add(aiRound("steady", 4000, 900, 4)));
    String short_ = new ReportWriter(results, new JsonObject().put("cores", 2).put("quick", false), dir, "bench").render();
    assertTrue(short_.contains("| steady: 900 concurrent, p99 4.00 ms (burst, all asking within a second: p99 90.00 ms) | **not met** |"), short_);

    assertFalse(md.contains("replies of an earlier round"), md);

    // asks that waited for a conversation: the node fell behind, whatever the concurrency reads
    JsonObject behind = aiRound("steady", 4000, 1500, 4);
    behind.getJsonObject("counts").put("asks_waited_for_a_conversation", 2500)
        .put("late_replies_of_an_earlier_round", 3).put("late_words_of_an_earlier_round", 300);
    results.get("ai").put("steps", new JsonArray().add(aiRound("burst", 1000, 1000, 90)).add(behind));
    String fellBehind = new ReportWriter(results, new JsonObject().put("cores", 2).put("quick", false), dir, "bench").render();
    assertTrue(fellBehind.contains("| steady: 1500 concurrent, p99 4.00 ms; 2500 of 4000 asks waited for a free conversation, 20000 of 20000 deltas/s carried"
        + " (burst, all asking within a second: p99 90.00 ms) | **not met** |"), fellBehind);
    assertTrue(fellBehind.contains("3 replies of an earlier round arrived during this one (their jobs retried once their lease ran out), "
        + "300 words in all; not counted as this round's."), fellBehind);

    // a result from before the steady round: its one round is the burst and is judged
    results.get("ai").put("steps", new JsonArray().add(aiRound(null, 1000, 1000, 90)));
    String old = new ReportWriter(results, new JsonObject().put("cores", 2).put("quick", false), dir, "bench").render();
    assertTrue(old.contains("| burst: 1000 concurrent, p99 90.00 ms | **not met** |"), old);
  }
  @Test
  void theConditionsOfARunTravelWithItsHeadline(@TempDir Path dir) throws Exception {
    Map<String, JsonObject> results = new TreeMap<>();
    JsonObject machine = new JsonObject().put("cores", 2).put("quick", false).put("note", "a slower machine than last time");
    ReportWriter writer = new ReportWriter(results, machine, dir, "bench");
    assertTrue(writer.render().contains("> **Conditions of this run:** a slower machine than last time"));
    assertTrue(writer.headline().contains("> **Conditions of this run:** a slower machine than last time"), writer.headline());
    ReportWriter plain = new ReportWriter(results, new JsonObject().put("cores", 2).put("quick", false), dir, "bench");
    plain.render();
    assertFalse(plain.headline().contains("Conditions of this run"), plain.headline());
  }

  @Test
  void eachStepsCommitsAreGivenWhereTheNodesTimedThem() {
    JsonArray steps = new JsonArray()
        .add(step(2000, 10, 10, 0, 0, 0).put("label", "2000 msg/s").put("node_append_latency",
            new JsonObject().put("count", 30_000).put("mean_ms", 2.5).put("p50_ms", 2.0).put("p99_ms", 8.4).put("p999_ms", -1.0)))
        .add(step(5000, 30, 30, 0, 0, 0).put("label", "5000 msg/s"));
    String md = ReportWriter.nodeAppendLatency(steps);
    assertTrue(md.contains("| 2000 msg/s | 30000 | <= 2.0 | <= 8.4 | over the last bucket | 2.50 |"), md);
    assertFalse(md.contains("5000 msg/s"), "a step the nodes did not time has no row: " + md);
    // results from before the nodes' commits were read say nothing of them
    assertEquals("", ReportWriter.nodeAppendLatency(new JsonArray().add(step(5000, 30, 30, 0, 0, 0))));
  }

  @Test
  void theMachineTableSaysHowFastTheHostWasDuringTheRun(@TempDir Path dir) throws Exception {
    JsonObject machine = new JsonObject().put("cores", 2).put("quick", false)
        .put("speed_probe_s", new JsonObject().put("before", 2.49).put("after", 1.13));
    String md = new ReportWriter(new TreeMap<>(), machine, dir, "bench").render();
    assertTrue(md.contains("| speed probe (one core hashes 400 MB with sha256) | 2.49 s before the workloads, 1.13 s after |"), md);
    // a run from before the probe says nothing of it
    String older = new ReportWriter(new TreeMap<>(), new JsonObject().put("cores", 2).put("quick", false), dir, "bench").render();
    assertFalse(older.contains("speed probe"), older);
  }
}
