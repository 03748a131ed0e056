package chorus.bench.load;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;

/** Figures read from a node's Prometheus endpoint ({@code GET /metrics}). */
public final class NodeMetrics {

  private NodeMetrics() {
  }

  /** The node's open WebSockets, all profiles: the sum of its {@code chorus_sockets_open} series. */
  public static Future<Long> socketsOpen(Vertx vertx, String host, int port) {
    var http = vertx.createHttpClient();
    return http.request(HttpMethod.GET, port, host, "/metrics")
        .compose(req -> req.send().compose(resp -> resp.body()))
        .map(body -> sumOf(body.toString(), "chorus_sockets_open"))
        .eventually(http::close);
  }

  /** The sum of every sample of {@code metric} in Prometheus text. */
  public static long sumOf(String prometheusText, String metric) {
    double sum = 0;
    for (String line : prometheusText.split("\n")) {
      if (line.startsWith(metric + "{") || line.startsWith(metric + " ")) {
        String[] parts = line.trim().split("\\s+");
        sum += Double.parseDouble(parts[parts.length - 1]);
      }
    }
    return Math.round(sum);
  }
}
