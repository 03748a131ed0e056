package chorus.bench.load;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Figures read from a node's Prometheus endpoint ({@code GET /metrics}). */
public final class NodeMetrics {

  private NodeMetrics() {
  }

  /** The node's open WebSockets, all profiles: the sum of its {@code chorus_sockets_open} series. */
  public static Future<Long> socketsOpen(Vertx vertx, String host, int port) {
    return scrape(vertx, host, port).map(text -> sumOf(text, "chorus_sockets_open"));
  }

  /** The node's whole Prometheus text. */
  public static Future<String> scrape(Vertx vertx, String host, int port) {
    var http = vertx.createHttpClient();
    return http.request(HttpMethod.GET, port, host, "/metrics")
        .compose(req -> req.send().compose(resp -> resp.body()))
        .map(Object::toString)
        .eventually(http::close);
  }

  /** The connect steps the gateway times ({@code chorus_connect_stage_seconds}), in their order. */
  public static final List<String> CONNECT_STAGES = List.of("upgrade", "auth", "context", "seat", "live");

  /** What one connect step of {@code profile} took between two scrapes of the same nodes: see {@link #histogram}. */
  public static JsonObject connectStage(List<String> before, List<String> after, String profile, String stage) {
    return histogram(before, after, "chorus_connect_stage_seconds", "profile=\"" + profile + "\"", "stage=\"" + stage + "\"")
        .put("stage", stage);
  }

  /** The nodes' appends, from the persistence role receiving one to its commit, between two scrapes: see {@link #histogram}. */
  public static JsonObject appendLatency(List<String> before, List<String> after) {
    return histogram(before, after, "chorus_append_latency_seconds");
  }

  /** The node's own AI delta latency (a piece read off the provider to its dispatch to sockets) between two scrapes: see {@link #histogram}. */
  public static JsonObject aiDeltaLatency(List<String> before, List<String> after) {
    return histogram(before, after, "chorus_ai_delta_latency_seconds");
  }

  /**
   * How late the nodes' event loops ran between two scrapes, by their probes' timers: all
   * loops together (see {@link #histogram}), and the p99 of the loop that ran furthest
   * behind ({@code worst_loop_p99_ms}, {@code worst_loop}: node index and thread, and
   * {@code worst_loop_verticles}: what runs on it), since one loop that is behind (the AI
   * role's, say) reads as little among several that are not.
   */
  public static JsonObject eventLoopLag(List<String> before, List<String> after) {
    String metric = "chorus_event_loop_lag_seconds";
    JsonObject all = histogram(before, after, metric);
    Pattern loopLabel = Pattern.compile("^" + metric + "_count\\{.*loop=\"([^\"]+)\"", Pattern.MULTILINE);
    double worst = 0;
    double worstRank = -1;
    String worstLoop = null;
    for (int n = 0; n < after.size(); n++) {
      Matcher loop = loopLabel.matcher(after.get(n));
      while (loop.find()) {
        JsonObject one = histogram(List.of(before.get(n)), List.of(after.get(n)), metric, "loop=\"" + loop.group(1) + "\"");
        double p99 = one.getDouble("p99_ms");
        double rank = p99 < 0 ? Double.POSITIVE_INFINITY : p99; // -1: past the last bucket
        if (one.getLong("count") > 0 && rank > worstRank) {
          worst = p99;
          worstRank = rank;
          worstLoop = n + "/" + loop.group(1);
        }
      }
    }
    if (worstLoop == null) {
      return all;
    }
    all.put("worst_loop_p99_ms", worst).put("worst_loop", worstLoop);
    String thread = worstLoop.substring(worstLoop.indexOf('/') + 1);
    List<String> verticles = verticlesOn(after.get(Integer.parseInt(worstLoop.substring(0, worstLoop.indexOf('/')))), thread);
    return verticles.isEmpty() ? all : all.put("worst_loop_verticles", new JsonArray(verticles));
  }

  /** The verticles a node runs on one of its loops ({@code chorus_event_loop_verticles}), in name order; empty from a node without that meter. */
  static List<String> verticlesOn(String exposition, String loop) {
    List<String> verticles = new ArrayList<>();
    for (String line : exposition.split("\n")) {
      Matcher verticle = VERTICLE.matcher(line);
      if (line.startsWith("chorus_event_loop_verticles{") && line.contains("loop=\"" + loop + "\"") && verticle.find()) {
        for (int i = 0; i < (int) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)); i++) {
          verticles.add(verticle.group(1));
        }
      }
    }
    Collections.sort(verticles);
    return verticles;
  }

  private static final Pattern VERTICLE = Pattern.compile("[{,]verticle=\"([^\"]+)\"");

  /** The most collection pause time (ms, {@code jvm_gc_pause_seconds}) any one node had between two scrapes. */
  public static double mostGcPauseMillis(List<String> before, List<String> after) {
    double most = 0;
    for (int n = 0; n < after.size(); n++) {
      most = Math.max(most, (sample(after.get(n), "jvm_gc_pause_seconds_sum") - sample(before.get(n), "jvm_gc_pause_seconds_sum")) * 1000);
    }
    return most;
  }

  /**
   * What a timer ({@code metric}, Prometheus base name, in seconds) recorded between two
   * scrapes of the same nodes (texts added up per node), in its series whose labels contain
   * every fragment given: count, mean and, from the histogram's buckets, the p50, p99 and
   * p99.9 (the upper bound of the bucket they fall in; -1 past the last finite one), in ms.
   */
  public static JsonObject histogram(List<String> before, List<String> after, String metric, String... labels) {
    double count = 0;
    double sum = 0;
    TreeMap<Double, Double> buckets = new TreeMap<>();
    for (int n = 0; n < after.size(); n++) {
      count += sample(after.get(n), metric + "_count", labels) - sample(before.get(n), metric + "_count", labels);
      sum += sample(after.get(n), metric + "_sum", labels) - sample(before.get(n), metric + "_sum", labels);
      Map<Double, Double> was = buckets(before.get(n), metric, labels);
      buckets(after.get(n), metric, labels).forEach((le, v) -> buckets.merge(le, v - was.getOrDefault(le, 0.0), Double::sum));
    }
    return new JsonObject().put("count", Math.round(count))
        .put("mean_ms", count == 0 ? 0 : round(sum / count * 1000))
        .put("p50_ms", quantile(buckets, count, 0.50)).put("p99_ms", quantile(buckets, count, 0.99))
        .put("p999_ms", quantile(buckets, count, 0.999));
  }

  private static double quantile(TreeMap<Double, Double> cumulative, double count, double q) {
    for (Map.Entry<Double, Double> bucket : cumulative.entrySet()) {
      if (count > 0 && bucket.getValue() >= q * count) {
        return bucket.getKey().isInfinite() ? -1 : round(bucket.getKey() * 1000);
      }
    }
    return 0;
  }

  /** {@code le} as a label of its own (not the end of {@code profile}). */
  private static final Pattern BUCKET_BOUND = Pattern.compile("[{,]le=\"([^\"]+)\"");

  private static Map<Double, Double> buckets(String text, String metric, String... labels) {
    Map<Double, Double> byBound = new TreeMap<>();
    for (String line : text.split("\n")) {
      if (line.startsWith(metric + "_bucket{") && Arrays.stream(labels).allMatch(line::contains)) {
        Matcher bound = BUCKET_BOUND.matcher(line);
        if (!bound.find()) {
          continue;
        }
        String le = bound.group(1);
        // one series per loop, stage...: their buckets add up
        byBound.merge(le.equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(le), Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)), Double::sum);
      }
    }
    return byBound;
  }

  private static double round(double value) {
    return Math.round(value * 10) / 10.0;
  }

  /** The sum of every sample of {@code metric} in Prometheus text. */
  public static long sumOf(String prometheusText, String metric) {
    return Math.round(sample(prometheusText, metric));
  }

  /** The sum of the samples of {@code metric} whose labels contain every fragment given (0 when none). */
  private static double sample(String prometheusText, String metric, String... labelFragments) {
    double sum = 0;
    for (String line : prometheusText.split("\n")) {
      if ((line.startsWith(metric + "{") || line.startsWith(metric + " ")) && Arrays.stream(labelFragments).allMatch(line::contains)) {
        sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return sum;
  }
}
