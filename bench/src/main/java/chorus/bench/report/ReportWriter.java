package chorus.bench.report;

import chorus.bench.load.Args;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Writes docs/benchmarks.md and the SVG charts from the load generator's JSON results:
 * the machine, then per workload a table of each figure beside its peer's and the ratio,
 * and each goal of issue 6 said plainly as met or not. A workload that did not run is
 * reported with its reason, never left out.
 */
public final class ReportWriter {

  /** The latency bound under which a rate counts as "held" (issue 6, workload 2). */
  static final double HELD_P99_MS = 50;

  private final Map<String, JsonObject> results;
  private final JsonObject machine;
  private final Path charts;
  private final String chartsLink;
  private final List<String[]> goals = new ArrayList<>();

  ReportWriter(Map<String, JsonObject> results, JsonObject machine, Path charts, String chartsLink) {
    this.results = results;
    this.machine = machine;
    this.charts = charts;
    this.chartsLink = chartsLink;
  }

  public static void main(String[] argv) throws IOException {
    Args args = new Args(argv);
    if (args.str("wrap-profile", null) != null) {
      // scripts/bench: a profile summary (markdown) into a result file the report picks up
      String text = Files.readString(Path.of(args.str("wrap-profile", null)));
      Files.writeString(Path.of(args.str("out", "profile.json")), new JsonObject().put("workload", "profile").put("text", text).encodePrettily());
      return;
    }
    Path dir = Path.of(args.str("results", "bench/target/bench-results"));
    Path out = Path.of(args.str("out", "docs/benchmarks.md"));
    Path charts = Path.of(args.str("charts", "docs/bench"));
    Map<String, JsonObject> results = new TreeMap<>();
    try (var files = Files.list(dir)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".json")).toList()) {
        String name = f.getFileName().toString().replace(".json", "");
        results.put(name, new JsonObject(Files.readString(f)));
      }
    }
    JsonObject machine = results.getOrDefault("machine", new JsonObject());
    if (args.str("note", null) != null && !args.str("note", "").isBlank()) {
      machine.put("note", args.str("note", ""));
    }
    Files.createDirectories(charts);
    Path parent = out.toAbsolutePath().getParent();
    Files.createDirectories(parent);
    String link = parent.relativize(charts.toAbsolutePath()).toString();
    ReportWriter writer = new ReportWriter(results, machine, charts, link.isEmpty() ? "." : link);
    Files.writeString(out, writer.render());
    System.err.println("[bench] wrote " + out);
    String readme = args.str("readme", null);
    if (readme != null) {
      Path path = Path.of(readme);
      Files.writeString(path, withHeadline(Files.readString(path), writer.headline()));
      System.err.println("[bench] headline figures in " + readme);
    }
  }

  static final String HEADLINE_START = "<!-- bench:start (scripts/bench writes this block) -->";
  static final String HEADLINE_END = "<!-- bench:end -->";

  /** The README with the block between the markers replaced; unchanged when the markers are missing. */
  static String withHeadline(String readme, String headline) {
    int start = readme.indexOf(HEADLINE_START);
    int end = readme.indexOf(HEADLINE_END);
    if (start < 0 || end < start) {
      return readme;
    }
    return readme.substring(0, start + HEADLINE_START.length()) + "\n" + headline + readme.substring(end);
  }

  /** The goals table and where it comes from: the README's headline figures (call after render()). */
  String headline() {
    StringBuilder md = new StringBuilder();
    md.append("Measured by `scripts/bench` on ").append(machine.getString("date", "?")).append(" (").append(machine.getValue("cores", "?"))
        .append(" cores, ").append(machine.getString("cpu", "?")).append(", load generator on the same machine); details, peers and charts in ")
        .append("[docs/benchmarks.md](docs/benchmarks.md).\n\n");
    conditions(md);
    md.append("| workload | goal | measured | verdict |\n| --- | --- | --- | --- |\n");
    for (String[] g : goals) {
      md.append("| ").append(String.join(" | ", g)).append(" |\n");
    }
    return md.toString();
  }

  /** The run's conditions note, above its figures in the report and in the README block alike. */
  private void conditions(StringBuilder md) {
    if (machine.containsKey("note")) {
      md.append("> **Conditions of this run:** ").append(machine.getString("note")).append("\n\n");
    }
  }

  // ---------------------------------------------------------------- verdict logic

  /** The highest rate whose acknowledgements held p99 under the bound with nothing lost; -1 if none. */
  static double highestRateHeld(JsonArray steps, double p99LimitMs) {
    double best = -1;
    for (Object o : steps) {
      JsonObject step = (JsonObject) o;
      if (lossless(step) && p99(step, "ack_latency") < p99LimitMs) {
        best = Math.max(best, step.getDouble("rate", 0.0));
      }
    }
    return best;
  }

  /**
   * The offered deliveries per second of the largest step whose delivery p99 stayed under the
   * bound with nothing missing; -1 if none. Offered, as {@link #highestRateHeld} takes the
   * offered rate: a held step delivered all it was offered, and its measured rate is lower only
   * by its last deliveries' latency over the step's length (59,961 for 60,000 at a 47 ms p99),
   * which would make two held steps compare by their tails, not by what they carried.
   */
  static double sustainedDeliveries(JsonArray steps, double p99LimitMs) {
    double best = -1;
    for (Object o : steps) {
      JsonObject step = (JsonObject) o;
      if (lossless(step) && p99(step, "delivery_latency") < p99LimitMs) {
        best = Math.max(best, offeredDeliveriesPerS(step));
      }
    }
    return best;
  }

  /**
   * The most deliveries/s offered by any step any server ran. A server that holds a step goes
   * on to the next, so one that held this step held the last step there was: what it carries
   * is this or more, not this.
   */
  static double ladderTop(Collection<JsonArray> stepsByTarget) {
    double top = -1;
    for (JsonArray steps : stepsByTarget) {
      for (Object o : steps == null ? new JsonArray() : steps) {
        top = Math.max(top, offeredDeliveriesPerS((JsonObject) o));
      }
    }
    return top;
  }

  /**
   * The verdict on "Chorus sustains at least {@code factor} times {@code other}". A figure held
   * at the steps' top is only a floor, so the verdict is given only where that floor decides it:
   * met when the other's figure is exact, not met when Chorus's is; otherwise not judged.
   */
  static String atLeast(double chorus, double other, double factor, double top, String otherName) {
    if (chorus < 0 && other > 0) {
      return "**not met** (Chorus held no step under " + (int) HELD_P99_MS + " ms)";
    }
    if (chorus < 0 || other <= 0) {
      return "**not measured** (no step held p99 under " + (int) HELD_P99_MS + " ms; see the per-step table)";
    }
    boolean chorusFloor = chorus >= top;
    boolean otherFloor = other >= top;
    boolean met = chorus >= factor * other;
    if (met ? !otherFloor : !chorusFloor) {
      return yesNo(met);
    }
    String who = chorusFloor && otherFloor ? "both Chorus and " + otherName : chorusFloor ? "Chorus" : otherName;
    return String.format(Locale.ROOT, "**not judged** (%s held the largest step run, %s deliveries/s: a floor, not a limit; "
        + "more steps: BENCH_FANOUT_CONVERSATIONS)", who, fig(top));
  }

  /** Deliveries expected over the step's length; the measured rate for a step that does not say both. */
  static double offeredDeliveriesPerS(JsonObject step) {
    long expected = step.getJsonObject("counts", new JsonObject()).getLong("expected_deliveries", 0L);
    long durationMs = step.getLong("duration_ms", 0L);
    return expected > 0 && durationMs > 0 ? Math.round(expected * 1000.0 / durationMs) : step.getDouble("deliveries_per_s", 0.0);
  }

  static boolean lossless(JsonObject step) {
    JsonObject c = step.getJsonObject("counts", new JsonObject());
    return c.getLong("lost", 0L) == 0 && c.getLong("missing_deliveries", 0L) == 0 && c.getLong("refused", 0L) == 0;
  }

  static double p99(JsonObject step, String which) {
    JsonObject l = step.getJsonObject(which);
    return l == null ? Double.MAX_VALUE : l.getDouble("p99_ms", Double.MAX_VALUE);
  }

  /** "1.73x", or "n/a" when either side is missing. */
  static String ratio(double ours, double theirs) {
    if (ours < 0 || theirs <= 0) {
      return "n/a";
    }
    return String.format(Locale.ROOT, "%.2fx", ours / theirs);
  }

  /** A figure from a pgbench_run line: {@code tps=123.4 rows_per_s=...}; -1 if absent. */
  static double pgbenchFigure(String line, String name) {
    if (line == null) {
      return -1;
    }
    Matcher m = Pattern.compile("(?:^|\\s)" + Pattern.quote(name) + "=([0-9.]+)").matcher(line);
    return m.find() ? Double.parseDouble(m.group(1)) : -1;
  }

  static String yesNo(boolean met) {
    return met ? "**met**" : "**not met**";
  }

  // ---------------------------------------------------------------- rendering

  String render() throws IOException {
    StringBuilder md = new StringBuilder();
    boolean quick = machine.getBoolean("quick", false);
    md.append("# Benchmarks\n\n");
    md.append("Chorus against what its users would otherwise pick (Socket.IO ").append(machine.getString("socketio", "?"))
        .append(" on Node.js, with its PostgreSQL adapter across processes) and against the limit (a raw Vert.x broadcast server ")
        .append("with no application logic; `pgbench` on the same PostgreSQL), in one run on one machine, load generator included. ")
        .append("Written by `scripts/bench`").append(quick ? " **--quick (a smoke run: tiny counts, the figures mean nothing)**" : "")
        .append(" on ").append(machine.getString("date", "?")).append(" at commit ").append(machine.getString("commit", "?")).append(".\n\n");
    conditions(md);
    md.append("How it measures: many real WebSocket clients on Vert.x's client (source addresses rotated over 127.0.0.x), ")
        .append("open-loop sending at a fixed rate with each latency taken from the message's *intended* send time (no coordinated ")
        .append("omission), HdrHistogram percentiles, and exact counts: every message sent is acked, refused or lost; every delivery ")
        .append("expected is received once or missing; a second copy is a duplicate. The load generator runs one event loop (`BENCH_LOAD_LOOPS`; ")
        .append("the reconnect storm excepted): on a machine it shares with the servers, a second one measured the servers worse, Chorus most. Source: `bench/src/main/java/chorus/bench/load`.\n\n");
    machineTable(md);
    StringBuilder body = new StringBuilder();
    idle(body);
    roundTrip(body);
    fanOut(body, "fanout", "3. Fan-out (one node)", "fanout");
    fanOut(body, "crossnode", "4. Cross-node (3 nodes / 3 processes)", "crossnode");
    ai(body);
    reconnect(body);
    profile(body);
    md.append("## Goals\n\n| workload | goal | measured | verdict |\n| --- | --- | --- | --- |\n");
    for (String[] g : goals) {
      md.append("| ").append(String.join(" | ", g)).append(" |\n");
    }
    md.append('\n').append(body);
    return md.toString();
  }

  private void machineTable(StringBuilder md) {
    md.append("## Machine\n\n| | |\n| --- | --- |\n");
    row(md, "CPU", machine.getString("cpu", "?") + ", " + machine.getValue("cores", "?") + " cores");
    row(md, "RAM", machine.getValue("ram_gib", "?") + " GiB");
    row(md, "kernel", machine.getString("kernel", "?"));
    row(md, "JDK", machine.getString("jdk", "?"));
    row(md, "Vert.x", machine.getString("vertx", "?"));
    row(md, "Node.js / Socket.IO", machine.getString("node", "?") + " / " + machine.getString("socketio", "?"));
    row(md, "PostgreSQL", machine.getString("postgresql", "?"));
    row(md, "open files per process (ulimit -n)", String.valueOf(machine.getValue("nofile", "?")));
    JsonObject probe = machine.getJsonObject("speed_probe_s");
    if (probe != null) {
      // the same host's speed moves from hour to hour: this is how fast it was during this run
      row(md, "speed probe (one core hashes 400 MB with sha256)", String.format(Locale.ROOT, "%.2f s before the workloads, %.2f s after",
          probe.getDouble("before"), probe.getDouble("after")));
    }
    md.append('\n');
  }

  private static void row(StringBuilder md, String k, String v) {
    md.append("| ").append(k).append(" | ").append(v).append(" |\n");
  }

  /** Says why a result has no figures, or returns false when it has them. */
  private boolean missing(StringBuilder md, JsonObject r, String name) {
    if (r == null) {
      md.append("_").append(name).append(": no result in this run (workload not selected)._\n\n");
      return true;
    }
    if (r.containsKey("not_run")) {
      md.append("_").append(name).append(": **not run**: ").append(r.getString("not_run")).append("._\n\n");
      return true;
    }
    if (r.containsKey("error")) {
      md.append("_").append(name).append(": **failed**: ").append(r.getString("error")).append("._\n\n");
      return true;
    }
    return false;
  }

  private void problems(StringBuilder md, JsonObject r) {
    JsonArray p = r == null ? null : r.getJsonArray("problems");
    if (p != null && !p.isEmpty()) {
      md.append("Counts that did not add up: ");
      p.forEach(x -> md.append("\n- ").append(x));
      md.append("\n\n");
    }
  }

  private void idle(StringBuilder md) {
    md.append("## 1. Idle capacity\n\nOpen conversation-profile sockets to one node (100 per conversation, each user owning its ")
        .append("conversation), then heap used after a full GC (`jcmd GC.run`, `GC.heap_info`) and RSS (`/proc/PID/status`) ")
        .append("against the same figures before the sockets; per socket = difference / sockets open.\n\n");
    JsonObject r = results.get("idle");
    if (missing(md, r, "idle")) {
      goals.add(new String[] {"1 idle", "50,000 sockets, <= 20 KiB heap each", "not measured", "**not measured**"});
      return;
    }
    JsonObject s = r.getJsonArray("steps").getJsonObject(0);
    md.append("| sockets wanted | opened | still open after settling | failed (first reason) | time to open | heap/socket | RSS/socket |\n")
        .append("| --- | --- | --- | --- | --- | --- | --- |\n");
    long heap = s.getLong("heap_per_socket_bytes", -1L);
    long rss = s.getLong("rss_per_socket_bytes", -1L);
    md.append(String.format(Locale.ROOT, "| %d | %d | %d | %d (%s) | %.1f s | %s | %s |\n\n", s.getInteger("wanted"), s.getInteger("opened"),
        s.getLong("still_open"), s.getInteger("failed"), s.getString("first_failure", "-"), s.getDouble("open_seconds"),
        heap < 0 ? "?" : String.format(Locale.ROOT, "%.1f KiB", heap / 1024.0), rss < 0 ? "?" : String.format(Locale.ROOT, "%.1f KiB", rss / 1024.0)));
    if (s.containsKey("memory_unavailable")) {
      md.append("Heap and RSS could not be read: ").append(s.getString("memory_unavailable")).append("\n\n");
    }
    int goalSockets = r.getInteger("goal_sockets", 50_000);
    long open = s.getLong("still_open", 0L);
    if (open < goalSockets) {
      md.append("Fewer than ").append(goalSockets).append(" sockets were tried or held: ")
          .append(s.getInteger("wanted") < goalSockets ? "the run asked for " + s.getInteger("wanted")
              + " because this machine allows " + machine.getValue("nofile", "?") + " open files per process (hard limit; "
              + "each socket is a file in the node and one in the load generator). " : "")
          .append("The per-socket figures are measured on what was open.\n\n");
    }
    boolean met = open >= goalSockets && heap >= 0 && heap <= 20 * 1024;
    goals.add(new String[] {"1 idle", "50,000 sockets on one node, <= 20 KiB heap each",
        open + " sockets, " + (heap < 0 ? "?" : String.format(Locale.ROOT, "%.1f KiB", heap / 1024.0)) + " heap each", yesNo(met)
            + (open < goalSockets && heap >= 0 && heap <= 20 * 1024 ? " (heap per socket within the goal; the count was capped by the machine)" : "")});
  }

  private void roundTrip(StringBuilder md) throws IOException {
    md.append("## 2. Durable round trip\n\nConversation-profile sockets send `user_message` at a fixed total rate; latency to ")
        .append("`message_received` (sent only once committed). Nodes run the gateway, persistence and presence roles: each message's ")
        .append("reply job is inserted in the same statement, but no AI answers it here (workload 5 measures the AI).\n\n");
    JsonObject r = results.get("roundtrip");
    if (missing(md, r, "roundtrip")) {
      goals.add(new String[] {"2 round trip", "acked/s > pgbench one-row tps; p99 < 25 ms at 5k msg/s", "not measured", "**not measured**"});
      return;
    }
    warmupSentence(md, r, "the first rate");
    JsonArray steps = r.getJsonArray("steps");
    md.append(loadGeneratorPauses(Map.of("chorus", steps))).append(nodeLoopLag(steps));
    md.append("| offered msg/s | sent | acked | refused | lost | acked/s | p50 ms | p99 ms | p99.9 ms | max ms | errors |\n")
        .append("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
    SvgChart curves = new SvgChart("Round trip: latency by percentile", "percentile", "ms (send to committed ack)", true);
    List<double[]> rateVsP99 = new ArrayList<>();
    double bestAcked = 0;
    Double p99At5k = null;
    Map<Long, JsonObject> latencyAtRate = new TreeMap<>();
    for (Object o : steps) {
      JsonObject s = (JsonObject) o;
      JsonObject c = s.getJsonObject("counts");
      JsonObject l = s.getJsonObject("ack_latency");
      md.append(String.format(Locale.ROOT, "| %.0f | %d | %d | %d | %d | %.0f | %.2f | %.2f | %.2f | %.2f | %s |\n", s.getDouble("rate"),
          c.getLong("sent"), c.getLong("acked"), c.getLong("refused"), c.getLong("lost"), s.getDouble("acked_per_s"),
          l.getDouble("p50_ms"), l.getDouble("p99_ms"), l.getDouble("p999_ms"), l.getDouble("max_ms"), s.getJsonObject("errors").encode()));
      curves.add(String.format(Locale.ROOT, "%.0f msg/s", s.getDouble("rate")), curve(l));
      rateVsP99.add(new double[] {s.getDouble("rate"), l.getDouble("p99_ms")});
      latencyAtRate.put(Math.round(s.getDouble("rate")), l);
      if (lossless(s)) {
        bestAcked = Math.max(bestAcked, s.getDouble("acked_per_s"));
      }
      if (Math.abs(s.getDouble("rate") - 5000) < 1) {
        p99At5k = l.getDouble("p99_ms");
      }
    }
    JsonArray asked = r.getJsonArray("rates_asked", new JsonArray());
    if (asked.size() > steps.size()) {
      md.append("\nThe sweep stopped after ").append(steps.getJsonObject(steps.size() - 1).getString("label"))
          .append(" (saturated: a tenth lost, or p99 over 5 s); not run: ")
          .append(asked.stream().skip(steps.size()).map(x -> x + " msg/s").reduce((x, y) -> x + ", " + y).orElse("")).append(".\n");
    }
    double held = highestRateHeld(steps, HELD_P99_MS);
    md.append('\n').append("Highest offered rate held with p99 under ").append((int) HELD_P99_MS).append(" ms and nothing lost: **")
        .append(held < 0 ? "none of the rates tried" : String.format(Locale.ROOT, "%.0f msg/s", held)).append("**.\n\n");
    md.append(nodeAppendLatency(steps));
    chart(md, "roundtrip-latency.svg", curves);
    chart(md, "roundtrip-rate-p99.svg", new SvgChart("Round trip: offered rate vs p99", "offered msg/s", "p99 ms", false).add("Chorus", rateVsP99));
    JsonObject pg = results.get("pgbench");
    Map<Long, Double> pgbenchP99AtRate = Map.of();
    double oneRow = -1;
    double batchedRows = -1;
    md.append("### pgbench on the same PostgreSQL\n\n");
    if (!missing(md, pg, "pgbench")) {
      oneRow = pgbenchFigure(pg.getString("one_row"), "tps");
      batchedRows = pgbenchFigure(pg.getString("batched"), "rows_per_s");
      md.append("| script | clients | tps | rows/s | Chorus acked/s (best lossless step) | Chorus / pgbench rows |\n| --- | --- | --- | --- | --- | --- |\n");
      md.append(String.format(Locale.ROOT, "| one-row insert | %s | %.0f | %.0f | %.0f | %s |\n", pg.getValue("clients"), oneRow,
          pgbenchFigure(pg.getString("one_row"), "rows_per_s"), bestAcked, ratio(bestAcked, pgbenchFigure(pg.getString("one_row"), "rows_per_s"))));
      md.append(String.format(Locale.ROOT, "| batched insert | %s | %.0f | %.0f | %.0f | %s |\n\n", pg.getValue("clients"),
          pgbenchFigure(pg.getString("batched"), "tps"), batchedRows, bestAcked, ratio(bestAcked, batchedRows)));
      md.append("pgbench runs flat out. A step's acked/s is its acknowledgements per second from its first send to its last ")
          .append("acknowledgement (at least the step's length), so a step offered past what the node carries reads what it carried, ")
          .append("its backlog's tail included, not the rate offered.\n\n");
      pgbenchP99AtRate = pgbenchAtRates(md, pg.getJsonArray("one_row_at_rates"), latencyAtRate);
    }
    boolean beatsPg = oneRow > 0 && bestAcked > oneRow;
    boolean fast = p99At5k != null && p99At5k < 25;
    goals.add(new String[] {"2 round trip", "more acked msg/s than pgbench one-row tps",
        String.format(Locale.ROOT, "%.0f acked/s vs %s", bestAcked, oneRow < 0 ? "pgbench not run" : String.format(Locale.ROOT, "%.0f tps", oneRow)),
        oneRow < 0 ? "**not measured**" : yesNo(beatsPg)});
    String pgbenchAt5k = pgbenchP99AtRate.containsKey(5000L)
        ? String.format(Locale.ROOT, " (pgbench's one-row insert at 5,000 tps: p99 %.1f ms)", pgbenchP99AtRate.get(5000L)) : "";
    goals.add(new String[] {"2 round trip", "p99 < 25 ms at 5,000 msg/s",
        p99At5k == null ? "5,000 msg/s not run" : String.format(Locale.ROOT, "p99 %.1f ms", p99At5k) + pgbenchAt5k,
        p99At5k == null ? "**not measured**" : yesNo(fast)});
    problems(md, r);
  }

  /**
   * pgbench's one-row insert at fixed rates beside Chorus's round trip at the same offered rate:
   * what the database alone gives a commit per message. Returns each rate's pgbench p99 (ms);
   * nothing for results from before it was measured.
   */
  private static Map<Long, Double> pgbenchAtRates(StringBuilder md, JsonArray runs, Map<Long, JsonObject> chorusAtRate) {
    Map<Long, Double> p99s = new TreeMap<>();
    if (runs == null || runs.isEmpty()) {
      return p99s;
    }
    md.append("The one-row insert again at fixed rates (`pgbench -R`, the same clients, open loop: each latency from the transaction's ")
        .append("scheduled start, its wait for a free client included, as the load generator times from a message's intended send): ")
        .append("the latency the database gives a commit per message at that rate, with nothing in front of it. ")
        .append("Chorus's round trip at the same offered rate adds its gateway, event bus and batching, and commits more per message ")
        .append("(the conversation's sequence, the reply job):\n\n")
        .append("| rate/s | pgbench tps | pgbench p50 / p99 / p99.9 ms | Chorus round trip p50 / p99 / p99.9 ms |\n| --- | --- | --- | --- |\n");
    for (Object o : runs) {
      String line = String.valueOf(o);
      double rate = pgbenchFigure(line, "rate");
      if (rate < 0) {
        continue; // a run that failed left an empty line
      }
      long at = Math.round(rate);
      p99s.put(at, pgbenchFigure(line, "p99_ms"));
      JsonObject chorus = chorusAtRate.get(at);
      md.append(String.format(Locale.ROOT, "| %d | %.0f | %.2f / %.2f / %.2f | %s |\n", at, pgbenchFigure(line, "tps"), pgbenchFigure(line, "p50_ms"),
          pgbenchFigure(line, "p99_ms"), pgbenchFigure(line, "p999_ms"), chorus == null ? "not run"
              : String.format(Locale.ROOT, "%.2f / %.2f / %.2f", chorus.getDouble("p50_ms"), chorus.getDouble("p99_ms"), chorus.getDouble("p999_ms"))));
    }
    md.append('\n');
    return p99s;
  }

  /**
   * Whether the AI workload's node had finished compiling its hot paths: the CPU its JIT
   * compiler threads used in the last warm-up round and in each measured one (ms a second; 1,000
   * is a core), against the rate the warm-up waited for. Empty for results that did not measure it.
   */
  private static String jitSentence(JsonObject warmup, JsonObject burst, JsonObject steady) {
    int min = warmup.getInteger("min_rounds", 0);
    int max = warmup.getInteger("max_rounds", 0);
    String clause = jitClause(min == 1 ? "1 round" : min + " rounds", "round", max + "", max > min, "rounds",
        warmup.getDouble("jit_settled_ms_per_s", 0.0), warmup.getDouble("last_round_jit_ms_per_s", -1.0));
    if (clause.isEmpty()) {
      return "";
    }
    return clause + String.format(Locale.ROOT, " (they used %.0f ms a second in the burst", burst.getDouble("node_jit_ms_per_s", -1.0))
        + (steady == null ? "" : String.format(Locale.ROOT, " and %.0f in the steady round", steady.getDouble("node_jit_ms_per_s", -1.0))) + ").";
  }

  /**
   * " The warm-up ran at least MIN, then on until a UNIT in which each Chorus node's JIT compiler
   * threads used under SETTLED ms of CPU a second: LAST in its last, so the measured MEASURED ran
   * on compiled code ..." (with ", up to MAX," when it stopped there unsettled, said in bold, and
   * said another way when it could not go on: a --quick run); empty when the compilers were not
   * read (LAST < 0).
   */
  private static String jitClause(String atLeast, String unit, String upTo, boolean couldGoOn, String measured, double settled, double last) {
    if (last < 0) {
      return "";
    }
    if (!couldGoOn && last > settled) {
      return String.format(Locale.ROOT, " The warm-up ran %s, not waiting for the JIT: in its last %s each Chorus node's JIT compiler threads used "
          + "up to %.0f ms of CPU a second (1,000 is a whole core), **so the node was still compiling when measured**", atLeast, unit, last);
    }
    boolean reached = last <= settled;
    return String.format(Locale.ROOT, " The warm-up ran at least %s, then on%s until a %s in which each Chorus node's JIT compiler threads "
        + "used under %.0f ms of CPU a second (1,000 is a whole core): %.0f in its last, %s",
        atLeast, reached ? "" : ", up to " + upTo + ",", unit, settled, last,
        reached ? "so the measured " + measured + " ran on compiled code, as on a node in service" : "**so the node was still compiling when measured**");
  }


  /**
   * How long the untimed load before the first step ran, when it did (older results do not say),
   * and, where the node's compilers were read, whether they had settled.
   */
  private static void warmupSentence(StringBuilder md, JsonObject r, String atRate) {
    long warmupMs = r.getLong("warmup_ms", 0L);
    if (warmupMs <= 0) {
      return;
    }
    JsonObject warmup = r.getJsonObject("warmup", new JsonObject());
    long sliceMs = warmup.getLong("slice_ms", 0L);
    int min = warmup.getInteger("min_slices", 0);
    int max = warmup.getInteger("max_slices", 0);
    String clause = sliceMs <= 0 ? "" : jitClause(String.format(Locale.ROOT, "%.0f s", min * sliceMs / 1000.0),
        String.format(Locale.ROOT, "%.0f s stretch", sliceMs / 1000.0),
        String.format(Locale.ROOT, "%.0f s", max * sliceMs / 1000.0), max > min, "steps",
        warmup.getDouble("jit_settled_ms_per_s", 0.0), warmup.getDouble("last_jit_ms_per_s", -1.0));
    md.append(String.format(Locale.ROOT, "Measured after %.0f s of untimed load at %s on the same sockets (a fresh JVM's JIT "
        + "takes much of these cores for minutes; the figures are meant to be a node in service's).%s\n\n",
        warmupMs / 1000.0, atRate, clause.isEmpty() ? ""
            : clause + "." + stepsJitClause(r.getJsonArray("steps", new JsonArray()), warmup.getDouble("jit_settled_ms_per_s", 0.0))));
  }

  /**
   * What the nodes compiled during the measured steps, where the steps say (the most any
   * node's compiler threads used in one, ms a second): a step faster than the warm-up can run
   * paths it did not. Empty when no step was read.
   */
  private static String stepsJitClause(JsonArray steps, double settled) {
    JsonObject busiest = highestStep(steps, "node_jit_ms_per_s");
    if (busiest == null) {
      return "";
    }
    double most = busiest.getDouble("node_jit_ms_per_s");
    String at = busiest.getString("label");
    return most <= settled
        ? String.format(Locale.ROOT, " In every measured step too they used under %.0f ms a second (the most: %.0f, at %s).", settled, most, at)
        : String.format(Locale.ROOT, " In the measured steps the busiest node's compilers used up to %.0f ms a second (at %s).", most, at);
  }

  /**
   * How long the load generator stood still in its own collections during the measured steps of
   * each target (the most in any step, ms a second): a frame arriving then is timed late,
   * whatever the target, so this bounds what the figures can resolve (findings 50). Empty
   * when no step says.
   */
  static String loadGeneratorPauses(Map<String, JsonArray> stepsByTarget) {
    List<String> parts = new ArrayList<>();
    stepsByTarget.forEach((target, steps) -> {
      JsonObject longest = steps == null ? null : highestStep(steps, "loadgen_gc_ms_per_s");
      if (longest != null) {
        parts.add(String.format(Locale.ROOT, parts.isEmpty() ? "%.1f ms a second with %s (at %s)" : "%.1f with %s (at %s)",
            longest.getDouble("loadgen_gc_ms_per_s"), target, longest.getString("label")));
      }
    });
    List<String> lags = new ArrayList<>();
    long[] timerMs = {5};
    stepsByTarget.forEach((target, steps) -> {
      JsonObject most = mostBehindStep(steps, "loadgen_loop_lag");
      if (most != null) {
        JsonObject lag = most.getJsonObject("loadgen_loop_lag");
        lags.add(String.format(Locale.ROOT, "%.1f ms with %s (at %s; p50 %.1f ms)", lag.getDouble("p99_ms"), target,
            most.getString("label"), lag.getDouble("p50_ms")));
        timerMs[0] = lag.getLong("timer_ms", timerMs[0]);
      }
    });
    String pauses = parts.isEmpty() ? "" : "In the measured steps the load generator's own garbage collections stopped it for up to "
        + String.join(", ", parts) + ": a frame arriving meanwhile is timed late, whatever the target.";
    String behind = lags.isEmpty() ? "" : "Its event loop ran behind by a p99 of up to " + String.join(", ", lags)
        + " (a timer set every " + timerMs[0] + " ms, timed against when it was due, a late one counted for every period it "
        + "stood still): a frame is read, and timed, as late as its loop "
        + "runs, so a latency under that is more than this load generator can resolve on these cores.";
    return pauses.isEmpty() && behind.isEmpty() ? "" : (pauses + (pauses.isEmpty() || behind.isEmpty() ? "" : " ") + behind + "\n\n");
  }

  /**
   * How far behind Chorus's own event loops ran, at the step where they ran furthest behind
   * (p99, all loops of its nodes): a message waiting on a loop waits about as long. Empty for
   * results from before the nodes measured it.
   */
  static String nodeLoopLag(JsonArray chorusSteps) {
    JsonObject most = mostBehindStep(chorusSteps, "node_loop_lag");
    if (most == null) {
      return "";
    }
    JsonObject lag = most.getJsonObject("node_loop_lag");
    return String.format(Locale.ROOT, "Chorus's own event loops (`chorus_event_loop_lag_seconds`, every loop of its %s together; a timer "
        + "on each, timed against when it was due, a late one counted for every period it stood still) ran behind by a p99 of %s ms "
        + "at most (at %s; p50 %s ms; the loop furthest behind: %s)%s: a message waiting on a loop waits about as long.%n%n",
        lag.getInteger("nodes", 1) == 1 ? "node" : lag.getInteger("nodes") + " nodes",
        bucketBound(lag.getDouble("p99_ms")), most.getString("label"), bucketBound(lag.getDouble("p50_ms")), worstLoop(lag),
        most.containsKey("node_gc_ms_per_s")
            ? String.format(Locale.ROOT, "; in that step a node stood still in its collections for %.1f ms a second", most.getDouble("node_gc_ms_per_s"))
            : "");
  }

  /**
   * Each step's appends as the nodes timed them, received to committed: what a durable
   * acknowledgement or delivery waits for before it leaves, so the rest of its latency is
   * the gateway's, the event bus's and the load generator's. Empty for results without them.
   */
  static String nodeAppendLatency(JsonArray chorusSteps) {
    if (chorusSteps == null || chorusSteps.stream().noneMatch(o -> ((JsonObject) o).containsKey("node_append_latency"))) {
      return "";
    }
    StringBuilder md = new StringBuilder("Inside Chorus, each step's appends from the persistence role receiving one to its commit "
        + "(`chorus_append_latency_seconds`, every node together; a histogram, so each figure is its bucket's upper bound): "
        + "a durable acknowledgement or delivery leaves only after this, and the rest of its latency is the gateway, the event bus "
        + "and the load generator.\n\n| step | appends | p50 ms | p99 ms | p99.9 ms | mean ms |\n| --- | --- | --- | --- | --- | --- |\n");
    for (Object o : chorusSteps) {
      JsonObject step = (JsonObject) o;
      JsonObject appends = step.getJsonObject("node_append_latency");
      if (appends != null) {
        md.append(histogramCells(step.getString("label"), appends)).append('\n');
      }
    }
    return md.append('\n').toString();
  }

  /**
   * The step whose {@code field} (a lag histogram: loadgen_loop_lag, node_loop_lag) has the
   * highest p99; null when no step has it (older results).
   */
  private static JsonObject mostBehindStep(JsonArray steps, String field) {
    JsonObject most = null;
    for (int i = 0; steps != null && i < steps.size(); i++) {
      JsonObject lag = steps.getJsonObject(i).getJsonObject(field);
      if (lag != null && lag.getLong("count", 0L) > 0
          && (most == null || lag.getDouble("p99_ms") > most.getJsonObject(field).getDouble("p99_ms"))) {
        most = steps.getJsonObject(i);
      }
    }
    return most;
  }

  /** The step with the highest {@code field}, the first of equals; null when no step has it (older results: -1 or absent). */
  private static JsonObject highestStep(JsonArray steps, String field) {
    JsonObject highest = null;
    for (int i = 0; i < steps.size(); i++) {
      JsonObject step = steps.getJsonObject(i);
      if (step.getDouble(field, -1.0) >= 0 && (highest == null || step.getDouble(field) > highest.getDouble(field))) {
        highest = step;
      }
    }
    return highest;
  }

  private void fanOut(StringBuilder md, String prefix, String title, String workload) throws IOException {
    md.append("## ").append(title).append("\n\n");
    md.append("Conversations (rooms) of N members, every member sending one message a second (so a conversation of 100 makes ")
        .append("100 msg/s and 10,000 deliveries/s, the sender's own copy included); steps add conversations. Chorus: user-profile ")
        .append("sockets (`/ws/auth`, `send_message`, `new_message`: durable, in `seq` order); Socket.IO: `msg` with ack, broadcast to the room; ")
        .append("raw: the same with no logic at all. Delivery latency: intended send time to the receiver's frame.");
    if ("crossnode".equals(workload)) {
      md.append(" Sockets are spread round-robin over 3 Chorus nodes (3 Socket.IO processes with the PostgreSQL adapter), so ")
          .append("two thirds of the deliveries cross nodes.");
      md.append(nodeCpus(results.get(prefix + "-chorus")));
    }
    md.append("\n\n");
    if (results.get(prefix + "-chorus") != null) {
      // every target gets the same warm-up
      warmupSentence(md, results.get(prefix + "-chorus"), "the first step's rate, spread over every conversation the steps use, for every server alike,");
    }
    String[] targets = "crossnode".equals(workload) ? new String[] {"chorus", "socketio"} : new String[] {"chorus", "socketio", "raw"};
    Map<String, JsonArray> stepsByTarget = new LinkedHashMap<>();
    for (String t : targets) {
      JsonObject r = results.get(prefix + "-" + t);
      stepsByTarget.put(t, r == null ? null : r.getJsonArray("steps"));
    }
    md.append(loadGeneratorPauses(stepsByTarget)).append(nodeLoopLag(stepsByTarget.get("chorus")));
    SvgChart ratePlot = new SvgChart(title + ": deliveries/s vs p99", "deliveries/s", "delivery p99 ms", false);
    Map<String, Double> sustained = new TreeMap<>();
    JsonObject chorusLast = null;
    for (String t : targets) {
      JsonObject r = results.get(prefix + "-" + t);
      md.append("**").append(t).append("**\n\n");
      if (missing(md, r, prefix + "-" + t)) {
        continue;
      }
      JsonArray steps = r.getJsonArray("steps");
      // any target whose steps split same-node from cross-node deliveries (Socket.IO's do too) gets the two columns
      boolean split = steps.stream().anyMatch(o -> ((JsonObject) o).containsKey("same_node_latency"));
      md.append("| conversations x members | offered msg/s | acked | lost | deliveries/s | missing | dup | p50 ms | p99 ms | p99.9 ms |")
          .append(split ? " same-node p99 | cross-node p99 |\n" : "\n")
          .append("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
          .append(split ? " --- | --- |\n" : "\n");
      List<double[]> points = new ArrayList<>();
      for (Object o : steps) {
        JsonObject s = (JsonObject) o;
        JsonObject c = s.getJsonObject("counts");
        JsonObject l = s.getJsonObject("delivery_latency");
        md.append(String.format(Locale.ROOT, "| %s | %.0f | %d | %d | %.0f | %d | %d | %.2f | %.2f | %.2f |", s.getString("label"), s.getDouble("rate"),
            c.getLong("acked"), c.getLong("lost"), s.getDouble("deliveries_per_s"), c.getLong("missing_deliveries"), c.getLong("duplicates"),
            l.getDouble("p50_ms"), l.getDouble("p99_ms"), l.getDouble("p999_ms")));
        if (split) {
          md.append(String.format(Locale.ROOT, " %.2f | %.2f |", s.getJsonObject("same_node_latency").getDouble("p99_ms"),
              s.getJsonObject("cross_node_latency").getDouble("p99_ms")));
          // the lightest step: what crossing a node adds, not what a saturated machine adds
          if ("chorus".equals(t) && chorusLast == null) {
            chorusLast = s;
          }
        }
        md.append('\n');
        points.add(new double[] {s.getDouble("deliveries_per_s"), l.getDouble("p99_ms")});
      }
      md.append('\n');
      if ("chorus".equals(t)) {
        md.append(nodeAppendLatency(steps));
      }
      ratePlot.add(t, points);
      sustained.put(t, sustainedDeliveries(steps, HELD_P99_MS));
      problems(md, r);
    }
    chart(md, prefix + "-rate-p99.svg", ratePlot);
    sideBySide(md, prefix, targets);
    boolean fanout = "fanout".equals(workload);
    String n = fanout ? "3 fan-out" : "4 cross-node";
    String versusPeer = ">= 1.5x Socket.IO's deliveries/s" + (fanout ? "" : " (PostgreSQL adapter, 3 processes)");
    String secondGoal = fanout ? ">= half the raw broadcast limit" : "cross-node adds <= 2 ms at p99 over same-node";
    if (stepsByTarget.values().stream().allMatch(Objects::isNull)) {
      // the workload did not run: its goals are not measured, with no "none held" table
      goals.add(new String[] {n, versusPeer, "not measured", "**not measured**"});
      goals.add(new String[] {n, secondGoal, "not measured", "**not measured**"});
      return;
    }
    double chorus = sustained.getOrDefault("chorus", -1.0);
    double sio = sustained.getOrDefault("socketio", -1.0);
    double raw = sustained.getOrDefault("raw", -1.0);
    md.append("Sustained deliveries/s (what the largest step with delivery p99 under ").append((int) HELD_P99_MS)
        .append(" ms and nothing missing was offered, and so delivered, as the round trip's highest rate held; the steps bound it from above):\n\n| | Chorus | Socket.IO | ratio |")
        .append(fanout ? " raw | Chorus / raw |\n| --- | --- | --- | --- | --- | --- |\n" : "\n| --- | --- | --- | --- |\n");
    md.append(String.format(Locale.ROOT, "| deliveries/s | %s | %s | %s |", fig(chorus), fig(sio), ratio(chorus, sio)));
    if (fanout) {
      md.append(String.format(Locale.ROOT, " %s | %s |", fig(raw), ratio(chorus, raw)));
    }
    md.append("\n\n");
    double top = ladderTop(stepsByTarget.values());
    List<String> atTop = sustained.entrySet().stream().filter(e -> e.getValue() >= top && top > 0).map(Map.Entry::getKey).toList();
    if (!atTop.isEmpty()) {
      md.append(String.format(Locale.ROOT, "Held the largest step run (%s deliveries/s), so what they carry is that or more: %s.%n%n",
          fig(top), String.join(", ", atTop)));
    }
    goals.add(new String[] {n, versusPeer, fig(chorus) + " vs " + fig(sio) + " (" + ratio(chorus, sio) + ")",
        atLeast(chorus, sio, 1.5, top, "Socket.IO")});
    if (fanout) {
      goals.add(new String[] {n, secondGoal, fig(chorus) + " vs " + fig(raw) + " (" + ratio(chorus, raw) + ")",
          atLeast(chorus, raw, 0.5, top, "the raw server")});
    } else if (chorusLast != null) {
      double same = chorusLast.getJsonObject("same_node_latency").getDouble("p99_ms");
      double cross = chorusLast.getJsonObject("cross_node_latency").getDouble("p99_ms");
      goals.add(new String[] {n, secondGoal,
          String.format(Locale.ROOT, "%+.2f ms (%.2f vs %.2f, step %s)", cross - same, cross, same, chorusLast.getString("label")), yesNo(cross - same <= 2)});
    } else {
      goals.add(new String[] {n, secondGoal, "not measured", "**not measured**"});
    }
  }

  /** Each step's figures of every target side by side: the comparison at the same offered load. */
  private void sideBySide(StringBuilder md, String prefix, String[] targets) {
    List<JsonArray> stepsOf = new ArrayList<>();
    for (String t : targets) {
      JsonObject r = results.get(prefix + "-" + t);
      stepsOf.add(r == null || r.containsKey("not_run") || r.containsKey("error") ? new JsonArray() : r.getJsonArray("steps", new JsonArray()));
    }
    int rows = stepsOf.stream().mapToInt(JsonArray::size).max().orElse(0);
    if (rows == 0) {
      return;
    }
    md.append("At the same offered load (deliveries/s, delivery p99 ms; the ratio is Chorus's p99 over the other's, lower is better for Chorus):\n\n| step |");
    for (String t : targets) {
      md.append(' ').append(t).append(" |");
    }
    for (int i = 1; i < targets.length; i++) {
      md.append(" p99 Chorus / ").append(targets[i]).append(" |");
    }
    md.append("\n|").append(" --- |".repeat(1 + 2 * targets.length - 1)).append('\n');
    for (int row = 0; row < rows; row++) {
      String label = null;
      double[] p99 = new double[targets.length];
      StringBuilder cells = new StringBuilder();
      for (int t = 0; t < targets.length; t++) {
        JsonArray steps = stepsOf.get(t);
        if (row < steps.size()) {
          JsonObject s = steps.getJsonObject(row);
          label = label == null ? s.getString("label") : label;
          p99[t] = p99(s, "delivery_latency");
          cells.append(String.format(Locale.ROOT, " %.0f/s, %.1f ms%s |", s.getDouble("deliveries_per_s"), p99[t], lossless(s) ? "" : " (lost some)"));
        } else {
          p99[t] = -1;
          cells.append(" - |");
        }
      }
      md.append("| ").append(label).append(" |").append(cells);
      for (int t = 1; t < targets.length; t++) {
        md.append(p99[0] > 0 && p99[t] > 0 ? String.format(Locale.ROOT, " %.1fx |", p99[0] / p99[t]) : " n/a |");
      }
      md.append('\n');
    }
    md.append('\n');
  }

  /**
   * The node's own share of the added latency, from its histogram: what Chorus's code path
   * (the AI role, the event bus, the gateway) adds, apart from the waits before the node reads
   * a word and after it writes the frame.
   */
  private static void nodeDeltaLatency(StringBuilder md, JsonObject burst, JsonObject steady) {
    StringBuilder rows = new StringBuilder();
    StringBuilder loops = new StringBuilder();
    for (JsonObject s : new JsonObject[] {burst, steady}) {
      String round = s == steady ? "steady" : "burst";
      JsonObject node = s == null ? null : s.getJsonObject("node_delta_latency");
      if (node != null && node.getLong("count", 0L) > 0) {
        rows.append(histogramCells(round, node)).append('\n');
      }
      JsonObject lag = s == null ? null : s.getJsonObject("node_loop_lag");
      if (lag != null && lag.getLong("count", 0L) > 0) {
        loops.append(histogramCells(round, lag)).append(' ').append(worstLoop(lag)).append(" | ")
            .append(s.containsKey("node_gc_ms_per_s") ? String.format(Locale.ROOT, "%.1f", s.getDouble("node_gc_ms_per_s")) : "-").append(" |\n");
      }
    }
    if (rows.isEmpty()) {
      return;
    }
    md.append("Inside the node: its own `chorus_ai_delta_latency_seconds`, each delta from the AI role reading it off the provider's ")
        .append("stream to the gateway dispatching it to the socket, for every delta of the round (ramps included). The rest of the ")
        .append("added latency above is spent before the node reads the word (the provider's write, the kernel, the node's event loop ")
        .append("getting a core) and after it hands the frame to the socket (the write, the kernel, the load generator reading it). Percentiles are the upper ")
        .append("bound of the histogram bucket they fall in.\n\n")
        .append("| round | deltas timed | p50 ms | p99 ms | p99.9 ms | mean ms |\n| --- | --- | --- | --- | --- | --- |\n")
        .append(rows).append('\n');
    if (!loops.isEmpty()) {
      md.append("How far behind the node's event loops ran meanwhile (`chorus_event_loop_lag_seconds`, all loops together: a timer on ")
          .append("each, timed against when it was due). A word the provider has written waits about this long for the AI role's loop ")
          .append("to read it, before the node's own figures above begin. A late timer also counts the periods it stood still, so a ")
          .append("stall weighs by how long it lasted:\n\n")
          .append("| round | samples | p50 ms | p99 ms | p99.9 ms | mean ms | the loop furthest behind, p99 ms | node's collection pauses, ms a second |\n")
          .append("| --- | --- | --- | --- | --- | --- | --- | --- |\n")
          .append(loops).append('\n');
    }
  }

  /** A row's first cells for a node histogram: its round (or step), count, p50, p99 and p99.9 (bucket bounds) and mean. */
  private static String histogramCells(String round, JsonObject histogram) {
    return String.format(Locale.ROOT, "| %s | %d | %s | %s | %s | %.2f |", round, histogram.getLong("count"), bucketBound(histogram.getDouble("p50_ms")),
        bucketBound(histogram.getDouble("p99_ms")), bucketBound(histogram.getDouble("p999_ms")), histogram.getDouble("mean_ms"));
  }

  /** The p99 of the loop that ran furthest behind, its thread and what runs on it; "-" for results that do not have it. */
  private static String worstLoop(JsonObject lag) {
    String loop = lag.getString("worst_loop");
    if (loop == null) {
      return "-";
    }
    JsonArray verticles = lag.getJsonArray("worst_loop_verticles");
    String carries = verticles == null ? "" : ": " + verticles.stream().map(String::valueOf).collect(Collectors.joining(", "));
    return bucketBound(lag.getDouble("worst_loop_p99_ms")) + " (" + loop.substring(loop.indexOf('/') + 1) + carries + ")";
  }

  /** A histogram percentile's bucket bound in ms; -1 is past the last finite bucket. */
  private static String bucketBound(double ms) {
    return ms < 0 ? "over the last bucket" : String.format(Locale.ROOT, "<= %.1f", ms);
  }

  private void ai(StringBuilder md) throws IOException {
    md.append("## 5. AI streaming\n\nConcurrent generations from a local fake model provider (an OpenAI-compatible streaming server ")
        .append("run inside the load generator; Chorus's `openai` provider calls it), each word one `assistant_delta` at a fixed interval. ")
        .append("The provider and the clients share one clock, so the added latency is exact: the provider writing a word to ")
        .append("the client's `assistant_delta` frame holding it (HTTP/SSE, the AI role, the event bus, the gateway, the socket).\n\n");
    JsonObject r = results.get("ai");
    if (missing(md, r, "ai")) {
      goals.add(new String[] {"5 AI streaming", "added latency p99 < 5 ms", "not measured", "**not measured**"});
      return;
    }
    JsonArray steps = r.getJsonArray("steps");
    JsonObject burst = null;
    JsonObject steady = null;
    for (Object o : steps) {
      JsonObject s = (JsonObject) o;
      if ("steady".equals(s.getString("shape"))) {
        steady = s;
      } else if (burst == null) {
        burst = s; // a result from before the steady round has no shape: its one round is a burst
      }
    }
    if (steady != null) {
      int g = steady.getInteger("concurrent_wanted", steady.getInteger("generations"));
      int burstAsks = burst == null ? 0 : burst.getInteger("generations");
      double burstRate = burst == null ? 0 : burst.getDouble("asks_per_s", 0.0);
      md.append(String.format(Locale.ROOT, "Two measured rounds. **Burst**: every conversation asks once at %.0f asks/s, so %d claims, "
          + "provider calls and then %d stored replies come together. **Steady**: asks arrive open-loop at %d per reply's length, "
          + "each to a conversation whose last reply is complete (an ask due while none is waits for one, and the wait counts in "
          + "its first-delta latency), so about %d replies stream at any moment while others start and end, as in service; its figures are the asks from the second reply-length to the last but one (the first ramps the "
          + "streams up, the last ramps them down). The goal is judged on the steady round.%n%n",
          burstRate, burstAsks, burstAsks, g, g));
    }
    md.append("| round | asks | asks/s | provider concurrency reached | deltas expected | received | dup | replies stored | deltas/s (measured) | added p50 ms | p99 ms | p99.9 ms | max ms | first delta after ask, p50 / p99 ms |\n")
        .append("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
    for (JsonObject s : new JsonObject[] {burst, steady}) {
      if (s == null) {
        continue;
      }
      JsonObject c = s.getJsonObject("counts");
      JsonObject l = s.getJsonObject("delivery_latency");
      JsonObject first = s.getJsonObject("first_delta_latency");
      JsonArray measured = s.getJsonArray("measured_asks");
      String asks = measured == null || s == burst
          ? String.format(Locale.ROOT, "%d x %d tokens @ %d ms", s.getInteger("generations"), s.getInteger("tokens_per_reply"), s.getLong("token_interval_ms"))
          : String.format(Locale.ROOT, "%d x %d tokens @ %d ms (%d-%d measured; %d waited for a free conversation)", s.getInteger("generations"),
              s.getInteger("tokens_per_reply"), s.getLong("token_interval_ms"), measured.getInteger(0), measured.getInteger(1) - 1,
              c.getLong("asks_waited_for_a_conversation", 0L));
      md.append(String.format(Locale.ROOT, "| %s | %s | %s | %d | %d | %d | %d | %d | %.0f | %.2f | %.2f | %.2f | %.2f | %.1f / %.1f |\n",
          s == steady ? "steady" : "burst", asks, s.containsKey("asks_per_s") ? String.format(Locale.ROOT, "%.0f", s.getDouble("asks_per_s")) : "-",
          s.getInteger("provider_max_concurrent"),
          c.getLong("expected_deliveries"), c.getLong("delivered"), c.getLong("duplicates"), c.getLong("replies_stored"),
          s.getDouble(s == steady ? "measured_deltas_per_s" : "deltas_per_s"),
          l.getDouble("p50_ms"), l.getDouble("p99_ms"), l.getDouble("p999_ms"), l.getDouble("max_ms"), first.getDouble("p50_ms"), first.getDouble("p99_ms")));
    }
    md.append('\n');
    nodeDeltaLatency(md, burst, steady);
    for (JsonObject s : new JsonObject[] {burst, steady}) {
      if (s != null) {
        md.append("Errors (").append(s == steady ? "steady" : "burst").append("): ").append(s.getJsonObject("errors").encode()).append("\n\n");
        long late = s.getJsonObject("counts").getLong("late_replies_of_an_earlier_round", 0L);
        if (late > 0) {
          md.append(String.format(Locale.ROOT, "%d replies of an earlier round arrived during this one (their jobs retried once "
              + "their lease ran out), %d words in all; not counted as this round's.%n%n", late,
              s.getJsonObject("counts").getLong("late_words_of_an_earlier_round", 0L)));
        }
      }
    }
    JsonObject warmup = burst == null ? null : burst.getJsonObject("warmup");
    if (warmup != null) {
      JsonObject wc = warmup.getJsonObject("counts");
      int rounds = warmup.getInteger("rounds", 1);
      md.append(String.format(Locale.ROOT, "Measured after %s on the same sockets and node (%s, %d tokens per reply, not in the figures; "
          + "%d of %d deltas and %d of %d replies arrived in %s, in %.1f s). One fake provider serves every round, so the node's "
          + "connections to it stay open between rounds, as to a real provider.",
          rounds == 1 ? "a warm-up round" : rounds + " warm-up rounds",
          warmup.getBoolean("with_steady", false) ? "each a burst and a steady round of 3 reply lengths" : "bursts",
          warmup.getInteger("tokens_per_reply"),
          wc.getLong("delivered"), wc.getLong("expected_deliveries"),
          wc.getLong("replies_stored"), wc.getLong("sent"), rounds == 1 ? "it" : "them", warmup.getDouble("seconds")));
      md.append(jitSentence(warmup, burst, steady)).append("\n\n");
    }
    md.append(loadGeneratorPauses(Map.of("chorus", steps)));
    SvgChart curves = new SvgChart("AI streaming: provider delta to socket frame", "percentile", "ms", true);
    SvgChart timelines = new SvgChart("AI streaming: added latency p99 by second of each measured round", "second", "ms", false);
    for (JsonObject s : new JsonObject[] {burst, steady}) {
      if (s == null) {
        continue;
      }
      String name = s == steady ? "steady" : "burst";
      curves.add(name, curve(s.getJsonObject("delivery_latency")));
      List<double[]> p99 = new ArrayList<>();
      for (Object o : s.getJsonArray("delivery_timeline", new JsonArray())) {
        JsonArray row = (JsonArray) o; // second, count, p50, p99
        p99.add(new double[] {row.getDouble(0), row.getDouble(3)});
      }
      timelines.add(name + " p99", p99);
    }
    chart(md, "ai-added-latency.svg", curves);
    chart(md, "ai-added-latency-timeline.svg", timelines);
    JsonObject judged = steady != null ? steady : burst;
    double p99 = judged.getJsonObject("delivery_latency").getDouble("p99_ms");
    long waited = judged.getJsonObject("counts").getLong("asks_waited_for_a_conversation", 0L);
    // asks that waited mean every conversation was busy: the node fell behind, and the concurrency is the harness's cap
    boolean full = judged.getInteger("provider_max_concurrent") >= 1000 && waited == 0;
    String measuredText = String.format(Locale.ROOT, "%s: %d concurrent, p99 %.2f ms", steady != null ? "steady" : "burst",
        judged.getInteger("provider_max_concurrent"), p99);
    if (waited > 0) {
      measuredText += String.format(Locale.ROOT, "; %d of %d asks waited for a free conversation, %.0f of %.0f deltas/s carried", waited,
          judged.getInteger("generations"), judged.getDouble("measured_deltas_per_s"),
          judged.getDouble("asks_per_s") * judged.getInteger("tokens_per_reply"));
    }
    if (steady != null && burst != null) {
      measuredText += String.format(Locale.ROOT, " (burst, all asking within a second: p99 %.2f ms)", burst.getJsonObject("delivery_latency").getDouble("p99_ms"));
    }
    goals.add(new String[] {"5 AI streaming", "1,000 concurrent generations, added latency p99 < 5 ms", measuredText, yesNo(full && p99 < 5)});
    problems(md, r);
  }

  /** The cores each node of a 3-node workload was told it has, when it was told. */
  private static String nodeCpus(JsonObject result) {
    String cpus = result == null ? "all" : result.getString("node_cpus", "all");
    if ("all".equals(cpus)) {
      return "";
    }
    return " Each Chorus node is told it has " + cpus + " core(s) (`-XX:ActiveProcessorCount`, `BENCH_CLUSTER_NODE_CPUS`), its share of "
        + "this machine, as a container's CPU limit would tell it; sized for the whole machine, three nodes oversubscribe it three times.";
  }

  private void reconnect(StringBuilder md) {
    md.append("## 6. Reconnect storm\n\n");
    JsonObject r = results.get("reconnect");
    if (missing(md, r, "reconnect")) {
      goals.add(new String[] {"6 reconnect storm", "10,000 sockets back and resumed < 10 s after a node dies, nothing lost", "not measured", "**not measured**"});
      return;
    }
    JsonObject s = r.getJsonArray("steps").getJsonObject(0);
    JsonObject c = s.getJsonObject("counts");
    JsonObject down = s.getJsonObject("downtime_per_socket");
    md.append("Conversation-profile sockets (10 per conversation) through nginx (`least_conn`) to 3 nodes; messages flow the whole time ")
        .append("on one open socket per conversation; the node holding the most sockets is SIGKILLed. Each dropped socket reconnects through ")
        .append("nginx after 50-500 ms (jitter, then again until it gets in) with `last_seq` (resume) and sends again, same `message_id`, ")
        .append("what was not acknowledged (and on `MESSAGE_ERROR`, as the protocol says). Recovery: the kill to the last dropped socket's ")
        .append("`connection_ack`.").append(nodeCpus(r)).append(" The clients run on ").append(r.getInteger("load_event_loops", 1))
        .append(" event loop(s) of the load generator (`BENCH_STORM_LOOPS`): with one, it did the 3,334 handshakes one after another and ")
        .append("was itself the slowest part (docs/bench/findings.md, 23).\n\n");
    stormWarmupSentence(md, r.getJsonObject("warmup"), s.getInteger("sockets") / Math.max(1, s.getJsonArray("sockets_per_node_before").size()),
        s.getDouble("survivors_jit_ms_per_s", -1.0));
    md.append("| sockets (per node before) | dropped | still down | attempts | recovery s | downtime per socket p50 / p99 / max s | sent | acked | lost | deliveries missing | duplicates | errors |\n")
        .append("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
    md.append(String.format(Locale.ROOT, "| %d (%s) | %d | %d | %d | %.2f | %.2f / %.2f / %.2f | %d | %d | %d | %d | %d | %s |\n\n",
        s.getInteger("sockets"), s.getJsonArray("sockets_per_node_before").encode(), s.getLong("dropped"), s.getLong("still_down"),
        s.getLong("reconnect_attempts"), s.getDouble("recovery_seconds"), down.getDouble("p50_ms") / 1000, down.getDouble("p99_ms") / 1000,
        down.getDouble("max_ms") / 1000, c.getLong("sent"), c.getLong("acked"), c.getLong("lost"), c.getLong("missing_deliveries"),
        c.getLong("duplicates"), s.getJsonObject("errors").encode()));
    md.append("Failed reconnect attempts, by reason: `").append(s.getJsonObject("failed_attempts", new JsonObject()).encode()).append("`.\n\n");
    JsonObject parts = s.getJsonObject("downtime_parts");
    if (parts != null) {
      md.append("Where each dropped socket's downtime went, as the client saw it (p50 / p99 / max s): until the attempt that got in started ")
          .append(seconds(parts.getJsonObject("drop_to_attempt"))).append("; that attempt's upgrade (TCP connect, nginx, the node's HTTP handling) ")
          .append(seconds(parts.getJsonObject("attempt_to_upgraded"))).append("; upgrade to `connection_ack` ")
          .append(seconds(parts.getJsonObject("upgraded_to_ack"))).append(".\n\n");
    }
    JsonArray stages = s.getJsonArray("connect_stages_on_survivors");
    if (stages != null && !stages.isEmpty()) {
      md.append("Where the reconnects waited: each connect step as the surviving nodes timed it (`chorus_connect_stage_seconds`, ")
          .append("from the kill to the end of the recovery; a step starts where the one before ended; p50 and p99 are the upper bounds of ")
          .append("their histogram buckets):\n\n| step | connects | mean ms | p50 ms | p99 ms |\n| --- | --- | --- | --- | --- |\n");
      for (int i = 0; i < stages.size(); i++) {
        JsonObject st = stages.getJsonObject(i);
        md.append(String.format(Locale.ROOT, "| %s | %d | %.1f | %.1f | %.1f |\n", st.getString("stage"), st.getLong("count"),
            st.getDouble("mean_ms"), st.getDouble("p50_ms"), st.getDouble("p99_ms")));
      }
      md.append("\n");
    }
    md.append("Message latency over the whole run (send to ack) p50 / p99: ").append(s.getJsonObject("ack_latency").getDouble("p50_ms"))
        .append(" / ").append(s.getJsonObject("ack_latency").getDouble("p99_ms")).append(" ms.\n\n");
    problems(md, r);
    double seconds = s.getDouble("recovery_seconds", -1.0);
    goals.add(new String[] {"6 reconnect storm", "all back and resumed < 10 s, nothing lost", seconds + " s", yesNo(seconds >= 0 && seconds < 10 && lossless(s))});
  }

  /**
   * What the nodes had done before the kill (older results do not say): how often every socket
   * left and resumed, whether their JIT had settled, and how much the survivors compiled during
   * the storm itself.
   */
  private static void stormWarmupSentence(StringBuilder md, JsonObject warmup, int setUpConnectsPerNode, double survivorsJit) {
    if (warmup == null || warmup.getInteger("slices", 0) <= 0) {
      return;
    }
    int rounds = warmup.getInteger("slices");
    int min = warmup.getInteger("min_slices", 0);
    int max = warmup.getInteger("max_slices", 0);
    md.append(String.format(Locale.ROOT, "Before the kill, with the messages already flowing, every socket left and came back through nginx "
        + "with `last_seq` %s (%,d connects in %.0f s), as clients do after a network change: the set-up's one connect per socket (about "
        + "%,d per node) is too few for the JIT to have compiled the connect path, and a node in service has taken many more.",
        rounds == 1 ? "once" : rounds + " times", warmup.getLong("connects", 0L), warmup.getDouble("seconds", 0.0), setUpConnectsPerNode));
    String clause = jitClause(min == 1 ? "1 round" : min + " rounds", "round", max + "", max > min, "storm",
        warmup.getDouble("jit_settled_ms_per_s", 0.0), warmup.getDouble("last_jit_ms_per_s", -1.0));
    if (!clause.isEmpty()) {
      md.append(clause).append(survivorsJit < 0 ? "" : String.format(Locale.ROOT, " (the survivors' compilers used %.0f ms a second in the storm)",
          survivorsJit)).append(".");
    }
    md.append("\n\n");
  }

  private static String seconds(JsonObject latency) {
    return String.format(Locale.ROOT, "%.2f / %.2f / %.2f", latency.getDouble("p50_ms") / 1000, latency.getDouble("p99_ms") / 1000,
        latency.getDouble("max_ms") / 1000);
  }

  private void profile(StringBuilder md) {
    md.append("## What holds Chorus back\n\n");
    boolean any = false;
    for (Map.Entry<String, JsonObject> e : results.entrySet()) {
      if (e.getKey().startsWith("profile") && e.getValue().containsKey("text")) {
        md.append(e.getValue().getString("text")).append('\n');
        any = true;
      }
    }
    if (!any) {
      md.append("_No profile in this run._\n\n");
    }
    JsonObject notes = results.get("analysis");
    if (notes != null && notes.containsKey("text")) {
      md.append(notes.getString("text")).append('\n');
    }
  }

  private static String fig(double v) {
    return v < 0 ? "none held" : String.format(Locale.ROOT, "%.0f", v);
  }

  private static List<double[]> curve(JsonObject latency) {
    List<double[]> points = new ArrayList<>();
    for (Object o : latency.getJsonArray("curve", new JsonArray())) {
      JsonArray p = (JsonArray) o;
      points.add(new double[] {p.getDouble(0), p.getDouble(1)});
    }
    return points;
  }

  private void chart(StringBuilder md, String file, SvgChart chart) throws IOException {
    if (chart.isEmpty()) {
      return;
    }
    Files.writeString(charts.resolve(file), chart.render());
    md.append("![").append(file).append("](").append(chartsLink).append('/').append(file).append(")\n\n");
  }
}
