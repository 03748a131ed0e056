package chorus.bench.load;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The load generator: {@code java -cp chorus-bench.jar chorus.bench.load.BenchMain WORKLOAD --out result.json [options]}.
 * Each workload sets itself up through the target's real client protocol, runs its steps,
 * checks that the counts add up, and writes one JSON result (read by the report writer).
 * Exit status 0 when the counts add up, 3 when they do not (the harness or the target lost
 * track of a message), 2 on a usage error.
 */
public final class BenchMain {

  public static void main(String[] argv) throws Exception {
    Args args = new Args(argv);
    if (args.positional().isEmpty()) {
      System.err.println("usage: BenchMain idle|roundtrip|fanout|ai --out FILE [--host H --ports P1,P2 ...]");
      System.exit(2);
    }
    String workload = args.positional().get(0);
    // One event loop by default: on a machine it shares with the servers, a second one only
    // takes their CPU (docs/bench/findings.md, 19); --loops N spreads the sockets over N
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(args.integer("loops", 1))
        .setBlockedThreadCheckInterval(10_000));
    JsonObject result;
    try {
      Workloads workloads = new Workloads(vertx, args);
      result = switch (workload) {
        case "idle" -> workloads.idle();
        case "roundtrip" -> workloads.roundTrip();
        case "fanout" -> workloads.fanOut();
        case "ai" -> workloads.aiStreaming();
        case "reconnect" -> workloads.reconnect();
        default -> throw new IllegalArgumentException("unknown workload " + workload);
      };
    } catch (Exception e) {
      e.printStackTrace();
      result = new JsonObject().put("workload", workload).put("target", args.str("target", "chorus"))
          .put("error", String.valueOf(e)).put("problems", new JsonArray().add("run failed: " + e));
    }
    String out = args.str("out", null);
    if (out != null) {
      Files.createDirectories(Path.of(out).toAbsolutePath().getParent());
      Files.writeString(Path.of(out), result.encodePrettily());
    }
    System.out.println(summary(result));
    vertx.close().await(10, TimeUnit.SECONDS);
    JsonArray problems = result.getJsonArray("problems", new JsonArray());
    System.exit(problems.isEmpty() ? 0 : 3);
  }

  /** One line per step: what a person watching the run wants to see. */
  static String summary(JsonObject result) {
    StringBuilder s = new StringBuilder(result.getString("workload") + " [" + result.getString("target", "") + "]");
    for (Object o : result.getJsonArray("steps", new JsonArray())) {
      JsonObject step = (JsonObject) o;
      s.append("\n  ").append(step.getString("label", "")).append(": ").append(step.getJsonObject("counts", new JsonObject()).encode());
      JsonObject ack = step.getJsonObject("ack_latency");
      if (ack != null) {
        s.append(" ack p50/p99/p99.9 ms=").append(ack.getDouble("p50_ms")).append('/').append(ack.getDouble("p99_ms")).append('/').append(ack.getDouble("p999_ms"));
      }
      JsonObject del = step.getJsonObject("delivery_latency");
      if (del != null) {
        s.append(" delivery p99 ms=").append(del.getDouble("p99_ms"));
      }
    }
    if (result.containsKey("problems") && !result.getJsonArray("problems").isEmpty()) {
      s.append("\n  PROBLEMS: ").append(result.getJsonArray("problems").encode());
    }
    return s.toString();
  }

  static <T> List<T> present(List<T> list) {
    List<T> out = new ArrayList<>(list);
    out.removeAll(Collections.singleton(null));
    return out;
  }

  static <T> T await(Future<T> future) {
    return future.await();
  }
}
